// PartiQL for DynamoDB: the statements of ExecuteStatement, BatchExecuteStatement and
// ExecuteTransaction, parsed into an AST by a recursive-descent parser.
//
//   SELECT * | path[, path...] FROM "Table"["Index"] [WHERE cond] [ORDER BY path [ASC|DESC]]
//   INSERT INTO "Table" VALUE {'pk': 'a', 'n': 1}
//   UPDATE "Table" SET path = value [, ...] [SET ...] [REMOVE path [, ...]] WHERE cond
//          [RETURNING ALL OLD * | MODIFIED OLD * | ALL NEW * | MODIFIED NEW *]
//   DELETE FROM "Table" WHERE cond [RETURNING ALL OLD *]
//   EXISTS(SELECT * FROM "Table" WHERE cond)          (ExecuteTransaction only)
//
// Keywords and function names are case-insensitive; "double quotes" name tables and
// attributes, 'single quotes' are strings, `?` is a parameter. Literals: strings, numbers,
// TRUE/FALSE, NULL, MISSING, lists [..], maps {'k': v}, sets <<..>>.
//
// Errors are InvalidArgument Statuses with DynamoDB's text ("Statement wasn't well formed,
// can't be processed: ..."); the API layer reports them as ValidationException.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/attribute_value.h"
#include "model/expression.h"

namespace meridian::model::partiql {

// A value: a literal, a parameter, a document path, MISSING, a function call (size,
// list_append, set_add, set_delete, ...), + / - of two values, or a list / map / set
// constructor whose elements may hold parameters.
struct Expr {
  enum class Kind { kLiteral, kParam, kPath, kMissing, kCall, kAdd, kSub, kList, kMap, kSet };
  Kind kind = Kind::kLiteral;
  AttributeValue literal;         // kLiteral
  int param = -1;                 // kParam: position among the statement's `?`
  expr::Path path;                // kPath
  std::string function;           // kCall, lower case
  std::vector<Expr> args;         // kCall arguments, kAdd/kSub operands, elements, map values
  std::vector<std::string> keys;  // kMap: the keys of `args`, in order
};

struct Cond {
  enum class Kind {
    kAnd,
    kOr,
    kNot,        // children
    kCompare,    // op, operands[0] op operands[1]
    kBetween,    // operands[0] BETWEEN operands[1] AND operands[2]
    kIn,         // operands[0] IN operands[1..]
    kCall,       // function(operands...): begins_with, contains, attribute_type, ...
    kIsMissing,  // operands[0] IS MISSING
    kIsNull,     // operands[0] IS NULL (also true when missing)
    kValue,      // a bare TRUE / FALSE
  };
  Kind kind = Kind::kAnd;
  std::string op;  // kCompare: = <> < <= > >=; kCall: function, lower case
  std::vector<Expr> operands;
  std::vector<Cond> children;
};

struct SetAction {
  expr::Path path;
  Expr value;
};

struct Statement {
  enum class Kind { kSelect, kInsert, kUpdate, kDelete, kExists };
  Kind kind = Kind::kSelect;
  std::string table;
  std::optional<std::string> index;    // SELECT FROM "Table"."Index"
  std::vector<expr::Path> projection;  // empty: SELECT *
  std::optional<Cond> where;
  std::optional<expr::Path> order_by;
  bool descending = false;
  Expr value;                       // INSERT
  std::vector<SetAction> sets;      // UPDATE
  std::vector<expr::Path> removes;  // UPDATE
  std::string returning;            // "", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"
  int parameters = 0;               // number of `?`
  bool is_read() const { return kind == Kind::kSelect; }
};

Result<Statement> Parse(std::string_view text);

// The value of `e` with parameters bound; InvalidArgument for what cannot be a value
// (paths, MISSING, calls) or a set constructor whose elements are not all S, all N or all B.
Result<AttributeValue> Bind(const Expr& e, const std::vector<AttributeValue>& parameters);

// "a.b[2]" style rendering of a path, each name written as `name(element name)` gives it.
template <typename NameFn>
std::string RenderPath(const expr::Path& path, NameFn&& name) {
  std::string out;
  for (const auto& el : path) {
    if (el.is_index()) {
      out += "[" + std::to_string(el.index) + "]";
    } else {
      if (!out.empty()) out += '.';
      out += name(el.name);
    }
  }
  return out;
}
// The same with the names as they are, for messages.
std::string PathText(const expr::Path& path);

}  // namespace meridian::model::partiql
