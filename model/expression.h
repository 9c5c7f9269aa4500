// DynamoDB expressions: ConditionExpression / FilterExpression, UpdateExpression,
// ProjectionExpression and KeyConditionExpression. Each is parsed once into an AST with
// its #name / :value placeholders resolved, then evaluated against items.
//
// All errors are InvalidArgument Statuses whose message is DynamoDB's exact text, e.g.
//   "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"a ==\""
//   "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name"
//   "An expression attribute value used in expression is not defined; attribute value: :v"
//   "The provided expression refers to an attribute that does not exist in the item"
// The API layer reports them as ValidationException.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/attribute_value.h"

namespace meridian::model::expr {

// One step of a document path: an attribute/map-key name, or a list index.
struct PathElement {
  std::string name;  // valid when index < 0
  int index = -1;    // >= 0 for "[n]"
  bool is_index() const { return index >= 0; }
  bool operator==(const PathElement&) const = default;
};
// A document path such as a.b[2].c. The first element is always a name.
using Path = std::vector<PathElement>;

// Renders a path the way DynamoDB's error messages do: "[a, b, [2], c]".
std::string PathToString(const Path& path);

// Placeholder tables of one request, shared by all of its expressions, and what the parsers
// used of them, so the caller can report unused entries afterwards
// ("Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}").
struct ExpressionContext {
  const std::map<std::string, std::string>* names = nullptr;      // "#n" -> "name"
  const std::map<std::string, AttributeValue>* values = nullptr;  // ":v" -> value
  std::set<std::string> used_names;
  std::set<std::string> used_values;
};

// ---- ConditionExpression / FilterExpression -------------------------------------------
struct ConditionNode;  // opaque AST
using Condition = std::shared_ptr<const ConditionNode>;

// `kind` is the expression's parameter name used in messages ("ConditionExpression",
// "FilterExpression").
Result<Condition> ParseCondition(std::string_view text, std::string_view kind,
                                 ExpressionContext& ctx);
// Evaluates against an item (an empty Item when the item does not exist). Comparisons of
// mismatched types and functions on missing attributes are false, as in DynamoDB; a
// type error DynamoDB reports at run time is returned as InvalidArgument.
Result<bool> EvaluateCondition(const ConditionNode& cond, const Item& item);

// Every document path the condition reads (operands of comparisons and functions, nested
// inside arithmetic-free operand trees), in expression order, duplicates kept.
std::vector<Path> ConditionPaths(const ConditionNode& cond);

// ---- UpdateExpression ------------------------------------------------------------------
struct UpdateNode;  // opaque AST
using Update = std::shared_ptr<const UpdateNode>;

// SET (=, +, -, if_not_exists, list_append), REMOVE (incl. list elements), ADD (numbers,
// sets), DELETE (sets). Rejects overlapping/conflicting paths and repeated clauses at parse
// time with DynamoDB's messages.
// `attribute_updates`: the expression translates legacy AttributeUpdates, whose operand
// type errors DynamoDB reports as "Type mismatch for attribute to update".
Result<Update> ParseUpdate(std::string_view text, ExpressionContext& ctx,
                           bool attribute_updates = false);
// Applies to *item in place; all-or-nothing (on error *item is unchanged).
Status ApplyUpdate(const UpdateNode& update, Item* item);
// The same on an item the caller gives up (no copy): the updated item, or the error.
Result<Item> ApplyUpdate(const UpdateNode& update, Item item);
// The paths the update writes or removes, in clause order (for key-attribute checks and
// ReturnValues UPDATED_OLD / UPDATED_NEW).
std::vector<Path> UpdatedPaths(const UpdateNode& update);

// The update's actions as written, for callers that track operations rather than results
// (the `merge` conflict policy turns ADD/DELETE into counter and set CRDT operations).
struct UpdateActionInfo {
  enum class Kind { kSet, kRemove, kAdd, kDelete };
  Kind kind = Kind::kSet;
  Path path;               // the target
  AttributeValue operand;  // kAdd, kDelete: the :value operand
};
std::vector<UpdateActionInfo> DescribeUpdate(const UpdateNode& update);

// ---- ProjectionExpression --------------------------------------------------------------
Result<std::vector<Path>> ParseProjection(std::string_view text, ExpressionContext& ctx);
// The parts of `item` named by `paths` (nested maps/lists kept in shape, list elements
// compacted in index order as DynamoDB does).
Item Project(const Item& item, const std::vector<Path>& paths);

// ---- KeyConditionExpression ------------------------------------------------------------
enum class KeyOp { kEq, kLt, kLe, kGt, kGe, kBetween, kBeginsWith };
struct SortKeyCondition {
  std::string name;
  KeyOp op = KeyOp::kEq;
  AttributeValue value;   // lower bound for BETWEEN
  AttributeValue value2;  // upper bound for BETWEEN
};
struct KeyCondition {
  std::string partition_name;
  AttributeValue partition_value;
  std::optional<SortKeyCondition> sort;
};
// Parses "pk = :v [AND sk <op> ...]" (either order). Checking the names against the
// table's key schema is the caller's job.
Result<KeyCondition> ParseKeyCondition(std::string_view text, ExpressionContext& ctx);

}  // namespace meridian::model::expr
