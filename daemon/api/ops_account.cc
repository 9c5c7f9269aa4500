// DescribeLimits and DescribeEndpoints: account-level answers that do not touch tables.
#include <boost/json.hpp>

#include "daemon/api/operations.h"

namespace meridian::api {
namespace json = boost::json;

namespace {
// DynamoDB's default per-account and per-table quotas for provisioned capacity.
constexpr int64_t kAccountMaxCapacityUnits = 80000;
constexpr int64_t kTableMaxCapacityUnits = 40000;
// How long clients may cache the endpoint list (DynamoDB answers one day).
constexpr int64_t kEndpointCacheMinutes = 1440;
}  // namespace

Response DescribeLimits(const OpContext&, const Request&) {
  return Response{{"AccountMaxReadCapacityUnits", kAccountMaxCapacityUnits},
                  {"AccountMaxWriteCapacityUnits", kAccountMaxCapacityUnits},
                  {"TableMaxReadCapacityUnits", kTableMaxCapacityUnits},
                  {"TableMaxWriteCapacityUnits", kTableMaxCapacityUnits}};
}

Response DescribeEndpoints(const OpContext& ctx, const Request&) {
  std::string address = ctx.options->endpoint_address;
  if (address.empty()) address = "dynamodb." + ctx.options->region + ".amazonaws.com";
  json::array endpoints;
  endpoints.push_back(
      json::object{{"Address", address}, {"CachePeriodInMinutes", kEndpointCacheMinutes}});
  return Response{{"Endpoints", std::move(endpoints)}};
}

}  // namespace meridian::api
