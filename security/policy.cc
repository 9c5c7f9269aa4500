#include "security/policy.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace meridian::security {
namespace json = boost::json;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A policy string as a pattern: backslashes escaped, so that only substituted variables
// (and ${*} / ${?} / ${$}) produce escaped literals.
std::string EscapeLiteral(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\' || c == '*' || c == '?') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}
std::string EscapeBackslashes(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// `pattern` with its policy variables replaced; false when one cannot be resolved (the
// pattern then matches nothing, as in IAM).
bool Substitute(const std::string& pattern, const PolicyVariables& vars, std::string* out) {
  out->clear();
  size_t i = 0;
  while (i < pattern.size()) {
    const size_t open = pattern.find("${", i);
    if (open == std::string::npos) break;
    const size_t close = pattern.find('}', open);
    if (close == std::string::npos) break;
    out->append(pattern, i, open - i);
    const std::string name = Lower(std::string_view(pattern).substr(open + 2, close - open - 2));
    if (name == "*" || name == "?" || name == "$") {
      out->append(EscapeLiteral(name));
    } else if (name == "aws:username" && !vars.username.empty()) {
      out->append(EscapeLiteral(vars.username));
    } else if (name == "aws:userid") {
      out->append(EscapeLiteral(vars.userid));
    } else if (name == "aws:principalaccount") {
      out->append(EscapeLiteral(vars.account));
    } else {
      return false;
    }
    i = close + 1;
  }
  out->append(pattern, i, std::string::npos);
  return true;
}

bool CharEq(char a, char b, bool ignore_case) {
  if (!ignore_case) return a == b;
  return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
}

// Exact comparison of a pattern-form literal (escapes honoured, wildcards literal).
bool LiteralEquals(std::string_view pattern, std::string_view text, bool ignore_case) {
  size_t t = 0;
  for (size_t p = 0; p < pattern.size(); ++p) {
    char c = pattern[p];
    if (c == '\\' && p + 1 < pattern.size()) c = pattern[++p];
    if (t >= text.size() || !CharEq(c, text[t], ignore_case)) return false;
    ++t;
  }
  return t == text.size();
}

Result<std::vector<std::string>> StringOrArray(const json::value& v, const char* what, bool lower) {
  std::vector<std::string> out;
  auto add = [&](const json::value& e) -> bool {
    std::string s;
    if (e.is_string()) {
      s = std::string(e.get_string());
    } else if (e.is_bool()) {
      s = e.get_bool() ? "true" : "false";
    } else if (e.is_number()) {
      s = json::serialize(e);
    } else {
      return false;
    }
    out.push_back(lower ? Lower(s) : std::move(s));
    return true;
  };
  if (v.is_array()) {
    for (const auto& e : v.get_array()) {
      if (!add(e)) return Status::InvalidArgument(std::string(what) + " must hold strings");
    }
  } else if (!add(v)) {
    return Status::InvalidArgument(std::string(what) + " must be a string or a list of strings");
  }
  if (out.empty()) return Status::InvalidArgument(std::string(what) + " must not be empty");
  return out;
}

}  // namespace

struct Policy::Condition {
  enum class Set { kNone, kForAll, kForAny };
  Set set = Set::kNone;
  bool null_op = false;  // Null: "true" = key absent
  bool negate = false;
  bool like = false;
  bool ignore_case = false;
  bool if_exists = false;
  std::string key;                  // lowercase
  std::vector<std::string> values;  // pattern form
};

struct Policy::Statement {
  bool allow = false;
  bool not_action = false;
  std::vector<std::string> actions;  // lowercase pattern form
  bool not_resource = false;
  std::vector<std::string> resources;  // pattern form, may hold variables
  std::vector<Condition> conditions;
};

namespace {

Status ParseOperator(std::string_view name, Policy::Condition* c) {
  using Set = Policy::Condition::Set;
  if (name.starts_with("ForAllValues:")) {
    c->set = Set::kForAll;
    name.remove_prefix(13);
  } else if (name.starts_with("ForAnyValue:")) {
    c->set = Set::kForAny;
    name.remove_prefix(12);
  }
  if (name.ends_with("IfExists")) {
    c->if_exists = true;
    name.remove_suffix(8);
  }
  if (name == "Null" && c->set == Set::kNone && !c->if_exists) {
    c->null_op = true;
    return Status::Ok();
  }
  if (name == "StringEquals") return Status::Ok();
  if (name == "StringNotEquals") {
    c->negate = true;
  } else if (name == "StringEqualsIgnoreCase") {
    c->ignore_case = true;
  } else if (name == "StringNotEqualsIgnoreCase") {
    c->negate = c->ignore_case = true;
  } else if (name == "StringLike") {
    c->like = true;
  } else if (name == "StringNotLike") {
    c->negate = c->like = true;
  } else {
    return Status::InvalidArgument("unsupported condition operator '" + std::string(name) + "'");
  }
  return Status::Ok();
}

Status ParseConditions(const json::value& v, std::vector<Policy::Condition>* out) {
  if (!v.is_object()) return Status::InvalidArgument("Condition must be an object");
  for (const auto& op : v.get_object()) {
    if (!op.value().is_object()) {
      return Status::InvalidArgument("Condition '" + std::string(op.key()) +
                                     "' must map condition keys to values");
    }
    for (const auto& kv : op.value().get_object()) {
      Policy::Condition c;
      if (Status s = ParseOperator(op.key(), &c); !s.ok()) return s;
      c.key = Lower(kv.key());
      auto values = StringOrArray(kv.value(), "a condition's values", false);
      if (!values.ok()) return values.status();
      for (auto& value : *values) c.values.push_back(EscapeBackslashes(value));
      out->push_back(std::move(c));
    }
  }
  return Status::Ok();
}

Result<Policy::Statement> ParseStatement(const json::value& v) {
  if (!v.is_object()) return Status::InvalidArgument("each Statement must be an object");
  const json::object& o = v.get_object();
  Policy::Statement st;
  for (const auto& kv : o) {
    const std::string_view k = kv.key();
    if (k != "Sid" && k != "Effect" && k != "Action" && k != "NotAction" && k != "Resource" &&
        k != "NotResource" && k != "Condition") {
      return Status::InvalidArgument("unsupported field '" + std::string(k) +
                                     "' in an identity policy statement");
    }
  }
  const json::value* effect = o.if_contains("Effect");
  if (!effect || !effect->is_string() ||
      (effect->get_string() != "Allow" && effect->get_string() != "Deny")) {
    return Status::InvalidArgument("Effect must be \"Allow\" or \"Deny\"");
  }
  st.allow = effect->get_string() == "Allow";
  const json::value* action = o.if_contains("Action");
  const json::value* not_action = o.if_contains("NotAction");
  if ((action == nullptr) == (not_action == nullptr)) {
    return Status::InvalidArgument("a statement needs exactly one of Action and NotAction");
  }
  st.not_action = not_action != nullptr;
  auto actions = StringOrArray(action ? *action : *not_action, "Action", true);
  if (!actions.ok()) return actions.status();
  for (auto& a : *actions) st.actions.push_back(EscapeBackslashes(a));
  const json::value* resource = o.if_contains("Resource");
  const json::value* not_resource = o.if_contains("NotResource");
  if ((resource == nullptr) == (not_resource == nullptr)) {
    return Status::InvalidArgument("a statement needs exactly one of Resource and NotResource");
  }
  st.not_resource = not_resource != nullptr;
  auto resources = StringOrArray(resource ? *resource : *not_resource, "Resource", false);
  if (!resources.ok()) return resources.status();
  for (auto& r : *resources) st.resources.push_back(EscapeBackslashes(r));
  if (const json::value* cond = o.if_contains("Condition")) {
    if (Status s = ParseConditions(*cond, &st.conditions); !s.ok()) return s;
  }
  return st;
}

bool ValueMatches(const Policy::Condition& c, std::string_view value,
                  const std::vector<std::string>& patterns) {
  for (const auto& p : patterns) {
    if (c.like ? WildcardMatch(p, value, c.ignore_case) : LiteralEquals(p, value, c.ignore_case))
      return true;
  }
  return false;
}

bool ConditionHolds(const Policy::Condition& c, const ConditionContext& context,
                    const PolicyVariables& vars, bool variables) {
  using Set = Policy::Condition::Set;
  const std::vector<std::string>* values = context.Find(c.key);
  if (c.null_op) {
    const bool absent = values == nullptr;
    return std::any_of(c.values.begin(), c.values.end(),
                       [&](const std::string& v) { return (Lower(v) == "true") == absent; });
  }
  const bool empty = values == nullptr || values->empty();
  if (empty) {
    if (c.set == Set::kForAll) return true;
    if (c.if_exists) return true;
    if (c.set == Set::kForAny) return false;
    return values == nullptr && c.negate;  // negated operators hold for an absent key
  }
  std::vector<std::string> patterns;
  if (variables) {
    std::string p;
    for (const auto& v : c.values) {
      if (Substitute(v, vars, &p)) patterns.push_back(p);
    }
  } else {
    patterns = c.values;
  }
  // Each context value "satisfies" the operator when it matches a pattern (or, negated,
  // matches none).
  auto satisfies = [&](const std::string& v) { return ValueMatches(c, v, patterns) != c.negate; };
  switch (c.set) {
    case Set::kForAll: return std::all_of(values->begin(), values->end(), satisfies);
    case Set::kForAny: return std::any_of(values->begin(), values->end(), satisfies);
    case Set::kNone:
      return c.negate ? std::all_of(values->begin(), values->end(), satisfies)
                      : std::any_of(values->begin(), values->end(), satisfies);
  }
  return false;
}

bool AnyMatches(const std::vector<std::string>& patterns, std::string_view text, bool ignore_case,
                const PolicyVariables* vars) {
  std::string substituted;
  for (const auto& p : patterns) {
    const std::string* pattern = &p;
    if (vars && p.find("${") != std::string::npos) {
      if (!Substitute(p, *vars, &substituted)) continue;
      pattern = &substituted;
    }
    if (WildcardMatch(*pattern, text, ignore_case)) return true;
  }
  return false;
}

}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case) {
  size_t p = 0, t = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = ++p;
      star_t = t;
      continue;
    }
    if (p < pattern.size()) {
      const bool escaped = pattern[p] == '\\' && p + 1 < pattern.size();
      const char c = escaped ? pattern[p + 1] : pattern[p];
      if ((!escaped && c == '?') || CharEq(c, text[t], ignore_case)) {
        p += escaped ? 2 : 1;
        ++t;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

void ConditionContext::Add(std::string_view key, std::string value) {
  Touch(key);
  for (auto& [k, v] : keys_) {
    if (k == Lower(key)) {
      if (std::find(v.begin(), v.end(), value) == v.end()) v.push_back(std::move(value));
      return;
    }
  }
}

void ConditionContext::Touch(std::string_view key) {
  const std::string lower = Lower(key);
  for (const auto& entry : keys_) {
    if (entry.first == lower) return;
  }
  keys_.emplace_back(lower, std::vector<std::string>{});
}

const std::vector<std::string>* ConditionContext::Find(std::string_view key) const {
  for (const auto& [k, v] : keys_) {
    if (k == key) return &v;
  }
  return nullptr;
}

Policy::Policy() = default;
Policy::~Policy() = default;

Result<std::shared_ptr<const Policy>> Policy::Parse(std::string_view text) {
  json::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return Status::InvalidArgument("policy is not valid JSON: " + ec.message());
  if (!doc.is_object()) return Status::InvalidArgument("policy must be a JSON object");
  std::shared_ptr<Policy> policy(new Policy());
  const json::object& o = doc.get_object();
  for (const auto& kv : o) {
    if (kv.key() != "Version" && kv.key() != "Statement" && kv.key() != "Id") {
      return Status::InvalidArgument("unsupported field '" + std::string(kv.key()) +
                                     "' in a policy (identity policies have no Principal)");
    }
  }
  if (const json::value* version = o.if_contains("Version")) {
    if (!version->is_string() ||
        (version->get_string() != "2012-10-17" && version->get_string() != "2008-10-17")) {
      return Status::InvalidArgument("Version must be \"2012-10-17\" or \"2008-10-17\"");
    }
    policy->variables_ = version->get_string() == "2012-10-17";
  }
  const json::value* statements = o.if_contains("Statement");
  if (!statements) return Status::InvalidArgument("policy has no Statement");
  if (statements->is_array()) {
    for (const auto& s : statements->get_array()) {
      auto st = ParseStatement(s);
      if (!st.ok()) return st.status();
      policy->statements_.push_back(std::move(st).value());
    }
  } else {
    auto st = ParseStatement(*statements);
    if (!st.ok()) return st.status();
    policy->statements_.push_back(std::move(st).value());
  }
  policy->has_conditions_ = std::any_of(policy->statements_.begin(), policy->statements_.end(),
                                        [](const Statement& st) { return !st.conditions.empty(); });
  return std::shared_ptr<const Policy>(std::move(policy));
}

Decision Policy::Evaluate(const AccessRequest& request, const PolicyVariables& vars) const {
  static const ConditionContext kEmpty;
  const ConditionContext& context = request.context ? *request.context : kEmpty;
  bool allowed = false;
  for (const Statement& st : statements_) {
    if (allowed && st.allow) continue;  // only a Deny can change the outcome now
    if (AnyMatches(st.actions, request.action, true, nullptr) == st.not_action) continue;
    if (AnyMatches(st.resources, request.resource, false, variables_ ? &vars : nullptr) ==
        st.not_resource) {
      continue;
    }
    const bool holds = std::all_of(
        st.conditions.begin(), st.conditions.end(),
        [&](const Condition& c) { return ConditionHolds(c, context, vars, variables_); });
    if (!holds) continue;
    if (!st.allow) return Decision::kExplicitDeny;
    allowed = true;
  }
  return allowed ? Decision::kAllow : Decision::kImplicitDeny;
}

}  // namespace meridian::security
