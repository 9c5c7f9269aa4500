// TagResource, UntagResource, ListTagsOfResource.
#include <boost/json.hpp>

#include "daemon/api/api_error.h"
#include "daemon/api/operations.h"
#include "daemon/api/request.h"
#include "store/store.h"

namespace meridian::api {
namespace json = boost::json;

namespace {

constexpr size_t kMaxTags = 50;

// "arn:aws:dynamodb:<region>:<account>:table/<name>" -> name; ValidationException otherwise.
std::string TableNameFromArn(const Request& req, std::string* arn_out = nullptr) {
  auto arn = OptionalString(req, "ResourceArn");
  ConstraintErrors errors;
  if (!arn) errors.Add("null", "resourceArn", "Member must not be null");
  errors.ThrowIfAny();
  const std::string marker = ":table/";
  auto pos = arn->find(marker);
  if (arn->rfind("arn:", 0) != 0 || pos == std::string::npos) {
    throw ApiError::Validation("Invalid TableArn: Invalid ResourceArn provided as input " + *arn);
  }
  std::string name = arn->substr(pos + marker.size());
  if (auto slash = name.find('/'); slash != std::string::npos) name.resize(slash);
  if (arn_out) *arn_out = *arn;
  return name;
}

[[noreturn]] void ThrowArnNotFound(const std::string& arn) {
  // (sic) DynamoDB's own spelling.
  throw ApiError::ResourceNotFound("Requested resource not found: ResourcArn: " + arn +
                                   " not found");
}

void EditTags(const OpContext& ctx, const Request& req,
              const std::function<Status(store::TableInfo*)>& edit) {
  std::string arn;
  const std::string name = TableNameFromArn(req, &arn);
  auto updated = ctx.store->UpdateTable(name, edit);
  if (!updated.ok() && updated.status().code() == Status::Code::kNotFound) ThrowArnNotFound(arn);
  ThrowIfError(updated.status());
}

}  // namespace

Response TagResource(const OpContext& ctx, const Request& req) {
  TableNameFromArn(req);
  std::vector<std::pair<std::string, std::string>> tags;
  const json::value* list = Member(req, "Tags");
  if (!list) {
    ConstraintErrors errors;
    errors.Add("null", "tags", "Member must not be null");
    errors.ThrowIfAny();
  }
  for (const auto& t : ExpectArray(*list, "Tags")) {
    const json::object& tag = ExpectObject(t, "Tag");
    auto key = OptionalString(tag, "Key");
    auto value = OptionalString(tag, "Value");
    if (!key || !value || key->empty() || key->size() > 128 || value->size() > 256) {
      throw ApiError::Validation("One or more parameter values were invalid: Invalid tag");
    }
    tags.emplace_back(*key, *value);
  }
  EditTags(ctx, req, [&](store::TableInfo* info) {
    for (const auto& tag : tags) {
      const auto& [k, v] = tag;
      auto it = std::find_if(info->tags.begin(), info->tags.end(),
                             [&](auto& e) { return e.first == tag.first; });
      if (it != info->tags.end()) {
        it->second = v;
      } else {
        info->tags.emplace_back(k, v);
      }
    }
    if (info->tags.size() > kMaxTags) {
      return Status::LimitExceeded("The number of tags exceeds the limit for the resource");
    }
    return Status::Ok();
  });
  return Response{};
}

Response UntagResource(const OpContext& ctx, const Request& req) {
  TableNameFromArn(req);
  std::vector<std::string> keys;
  const json::value* list = Member(req, "TagKeys");
  if (!list) {
    ConstraintErrors errors;
    errors.Add("null", "tagKeys", "Member must not be null");
    errors.ThrowIfAny();
  }
  for (const auto& k : ExpectArray(*list, "TagKeys"))
    keys.emplace_back(ExpectString(k, "TagKey").c_str());
  EditTags(ctx, req, [&](store::TableInfo* info) {
    std::erase_if(info->tags, [&](const auto& e) {
      return std::find(keys.begin(), keys.end(), e.first) != keys.end();
    });
    return Status::Ok();
  });
  return Response{};
}

Response ListTagsOfResource(const OpContext& ctx, const Request& req) {
  std::string arn;
  const std::string name = TableNameFromArn(req, &arn);
  auto table = ctx.store->GetTable(name);
  if (!table.ok()) ThrowArnNotFound(arn);
  json::array tags;
  for (const auto& [k, v] : (*table)->tags) tags.push_back(json::object{{"Key", k}, {"Value", v}});
  Response out;
  out["Tags"] = std::move(tags);
  return out;
}

}  // namespace meridian::api
