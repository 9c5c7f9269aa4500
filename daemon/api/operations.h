// One function per DynamoDB operation: request object in, response object out, ApiError
// thrown on failure. Private to daemon/api.
#pragma once

#include <boost/json/object.hpp>

#include "daemon/api/api.h"
#include "daemon/api/capacity.h"
#include "daemon/api/json_writer.h"
#include "store/store.h"

namespace meridian::api {

struct OpContext {
  store::Store* store;
  const ApiOptions* options;
  uint64_t* commit_seq;   // out: the staged write to wait for (group commit)
  std::string_view body;  // the request as it came (its size; ClientRequestToken digests)
  // out: members of the reply an operation wrote as JSON text ("\"Item\":{...}", several
  // separated by commas), spliced into the reply beside the Response object's members:
  // items are rendered straight from the store's copy instead of through a JSON tree.
  std::string* raw_members = nullptr;
};

// Appends `"name":` and what `write` writes (with a JsonWriter) to ctx.raw_members. `name`
// is a member name of the API (never needs escaping).
template <class Fn>
void AddRawMember(const OpContext& ctx, std::string_view name, Fn&& write) {
  JsonWriter writer;
  write(writer);
  std::string& raw = *ctx.raw_members;
  if (!raw.empty()) raw += ',';
  raw += '"';
  raw += name;
  raw += "\":";
  raw += writer.Text();
}

using Request = boost::json::object;
using Response = boost::json::object;

// Writes one item through the store with the API's commit mode, recording the sequence
// number the response must wait for.
Result<store::WriteResult> WriteItem(const OpContext& ctx, const store::TableInfo& table,
                                     const model::AttributeValue& pk,
                                     const model::AttributeValue* sk, const store::MutationFn& fn);

// ops_table.cc
Response CreateTable(const OpContext& ctx, const Request& req);
Response DescribeTable(const OpContext& ctx, const Request& req);
Response ListTables(const OpContext& ctx, const Request& req);
Response DeleteTable(const OpContext& ctx, const Request& req);
// ops_update_table.cc
Response UpdateTable(const OpContext& ctx, const Request& req);
// ops_item.cc
Response PutItem(const OpContext& ctx, const Request& req);
Response GetItem(const OpContext& ctx, const Request& req);
// GetItem's read of the item `key_map` names (checked against the key schema): the item, or
// an empty view; the capacity it consumed is recorded and, for `capacity`, put in `out`.
store::ItemView ReadForGet(const OpContext& ctx, const store::TableInfo& table,
                           const model::Item& key_map, bool consistent, CapacityMode capacity,
                           Response* out);
Response DeleteItem(const OpContext& ctx, const Request& req);
// ops_update.cc
Response UpdateItem(const OpContext& ctx, const Request& req);
// ops_tags.cc
Response TagResource(const OpContext& ctx, const Request& req);
Response UntagResource(const OpContext& ctx, const Request& req);
Response ListTagsOfResource(const OpContext& ctx, const Request& req);
// The Tags list of CreateTable or TagResource, checked as DynamoDB checks tags (1-128
// character keys, values up to 256 characters, letters, digits, spaces and + - = . _ : / @,
// at most 50). `path` names the member in constraint errors ("tags").
std::vector<std::pair<std::string, std::string>> ParseTagList(const boost::json::value& list,
                                                              std::string_view path);
// ops_query.cc
Response Query(const OpContext& ctx, const Request& req);
Response Scan(const OpContext& ctx, const Request& req);
// ops_batch.cc
Response BatchGetItem(const OpContext& ctx, const Request& req);
Response BatchWriteItem(const OpContext& ctx, const Request& req);
// ops_transact.cc
Response TransactWriteItems(const OpContext& ctx, const Request& req);
Response TransactGetItems(const OpContext& ctx, const Request& req);
// ops_partiql.cc
Response ExecuteStatement(const OpContext& ctx, const Request& req);
Response BatchExecuteStatement(const OpContext& ctx, const Request& req);
Response ExecuteTransaction(const OpContext& ctx, const Request& req);
// ops_backup.cc
Response CreateBackup(const OpContext& ctx, const Request& req);
Response DescribeBackup(const OpContext& ctx, const Request& req);
Response ListBackups(const OpContext& ctx, const Request& req);
Response DeleteBackup(const OpContext& ctx, const Request& req);
Response RestoreTableFromBackup(const OpContext& ctx, const Request& req);
Response UpdateContinuousBackups(const OpContext& ctx, const Request& req);
Response DescribeContinuousBackups(const OpContext& ctx, const Request& req);
Response RestoreTableToPointInTime(const OpContext& ctx, const Request& req);
// ops_export.cc
Response ExportTableToPointInTime(const OpContext& ctx, const Request& req);
Response DescribeExport(const OpContext& ctx, const Request& req);
Response ListExports(const OpContext& ctx, const Request& req);
Response ImportTable(const OpContext& ctx, const Request& req);
Response DescribeImport(const OpContext& ctx, const Request& req);
Response ListImports(const OpContext& ctx, const Request& req);
// ops_ttl.cc
Response UpdateTimeToLive(const OpContext& ctx, const Request& req);
Response DescribeTimeToLive(const OpContext& ctx, const Request& req);
// ops_streams.cc: the Streams API (DynamoDBStreams_20120810)
Response ListStreams(const OpContext& ctx, const Request& req);
Response DescribeStream(const OpContext& ctx, const Request& req);
Response GetShardIterator(const OpContext& ctx, const Request& req);
Response GetRecords(const OpContext& ctx, const Request& req);
// StreamSpecification of CreateTable (`creating`) or UpdateTable, applied to `info` with
// DynamoDB's validation; and its members in a table description.
void ApplyStreamSpecification(const Request& req, bool creating, store::TableInfo* info);
void DescribeStreamSpecification(const OpContext& ctx, const store::TableInfo& info,
                                 boost::json::object* t);
// ops_account.cc
Response DescribeLimits(const OpContext& ctx, const Request& req);
Response DescribeEndpoints(const OpContext& ctx, const Request& req);

}  // namespace meridian::api
