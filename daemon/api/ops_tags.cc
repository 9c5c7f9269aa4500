// TagResource, UntagResource, ListTagsOfResource.
#include <boost/json.hpp>

#include <cctype>

#include "daemon/api/api_error.h"
#include "daemon/api/operations.h"
#include "daemon/api/request.h"
#include "store/store.h"

namespace meridian::api {
namespace json = boost::json;

namespace {

constexpr size_t kMaxTags = 50;
constexpr size_t kMaxTagKeyChars = 128;
constexpr size_t kMaxTagValueChars = 256;

// "arn:aws:dynamodb:<region>:<account>:table/<name>" (or a stream of it) -> name;
// ValidationException otherwise (index ARNs included: they cannot be tagged).
std::string TableNameFromArn(const Request& req, std::string* arn_out = nullptr) {
  auto arn = OptionalString(req, "ResourceArn");
  ConstraintErrors errors;
  if (!arn) errors.Add("null", "resourceArn", "Member must not be null");
  errors.ThrowIfAny();
  const std::string marker = ":table/";
  auto pos = arn->find(marker);
  if (arn->rfind("arn:", 0) != 0) {
    throw ApiError::Validation("Invalid TableArn: Invalid ResourceArn provided as input " + *arn +
                               ": ARNs must start with 'arn:'");
  }
  if (pos == std::string::npos) {
    throw ApiError::Validation("Invalid TableArn: Invalid ResourceArn provided as input " + *arn);
  }
  std::string name = arn->substr(pos + marker.size());
  if (auto slash = name.find('/'); slash != std::string::npos) {
    if (name.compare(slash, 8, "/stream/") != 0) {
      throw ApiError::Validation(
          "One or more parameter values were invalid: Invalid resource arn provided, only table "
          "or stream is accepted. Provided resource arn: " +
          *arn);
    }
    name.resize(slash);
  }
  if (arn_out) *arn_out = *arn;
  return name;
}

// Characters (UTF-8 code points) in `s`.
size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Letters, digits and spaces in any language (non-ASCII is let through) and + - = . _ : / @.
bool ValidTagText(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || std::isalnum(u) || c == ' ') continue;
    if (std::string_view("+-=._:/@").find(c) == std::string_view::npos) return false;
  }
  return true;
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

std::vector<std::pair<std::string, std::string>> ParseTagList(const json::value& list,
                                                              std::string_view path) {
  const json::array& arr = ExpectArray(list, "Tags");
  ConstraintErrors errors;
  if (arr.size() > kMaxTags) {
    errors.Add("'[...]'", path, "Member must have length less than or equal to 50");
  }
  std::vector<std::pair<std::string, std::string>> tags;
  for (size_t i = 0; i < arr.size(); ++i) {
    const json::object& tag = ExpectObject(arr[i], "Tag");
    const std::string at = std::string(path) + "." + std::to_string(i + 1) + ".member.";
    auto key = OptionalString(tag, "Key");
    auto value = OptionalString(tag, "Value");
    if (!key) errors.Add("null", at + "key", "Member must not be null");
    if (!value) errors.Add("null", at + "value", "Member must not be null");
    if (!key || !value) continue;
    const size_t key_chars = CodePoints(*key), value_chars = CodePoints(*value);
    if (key_chars < 1)
      errors.Add("''", at + "key", "Member must have length greater than or equal to 1");
    if (key_chars > kMaxTagKeyChars) {
      errors.Add("'" + *key + "'", at + "key", "Member must have length less than or equal to 128");
    }
    if (value_chars > kMaxTagValueChars) {
      errors.Add("'" + *value + "'", at + "value",
                 "Member must have length less than or equal to 256");
    }
    if (!ValidTagText(*key)) {
      errors.Add(
          "'" + *key + "'", at + "key",
          "Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$");
    }
    if (!ValidTagText(*value)) {
      errors.Add(
          "'" + *value + "'", at + "value",
          "Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$");
    }
    tags.emplace_back(std::move(*key), std::move(*value));
  }
  errors.ThrowIfAny();
  return tags;
}

Response TagResource(const OpContext& ctx, const Request& req) {
  TableNameFromArn(req);
  const json::value* list = Member(req, "Tags");
  if (!list) {
    ConstraintErrors errors;
    errors.Add("null", "tags", "Member must not be null");
    errors.ThrowIfAny();
  }
  auto tags = ParseTagList(*list, "tags");
  if (tags.empty()) {
    throw ApiError::Validation("One or more parameter values were invalid: Tags cannot be empty");
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
      return Status::InvalidArgument(
          "One or more parameter values were invalid: The number of tags exceeds the limit of 50 "
          "for the resource");
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
