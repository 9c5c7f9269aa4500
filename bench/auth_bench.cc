// Micro-benchmarks of security/: what SigV4 verification and policy evaluation add to one
// DynamoDB request (bench/sigv4_bench.sh measures the whole server). The request is a
// GetItem as botocore signs it: content-type;host;x-amz-date;x-amz-target, a 60-byte body.
// Run: auth_bench [--benchmark_filter=Authenticate]
#include <benchmark/benchmark.h>

#include <string>

#include "security/crypto.h"
#include "security/policy.h"
#include "security/sigv4.h"

namespace meridian::security {
namespace {

constexpr const char* kKeyId = "AKIAMERIDIANBENCH01";
constexpr const char* kSecret = "benchSecretKeyForSigV4VerificationOnly00";
constexpr const char* kDate = "20261204T220000Z";
constexpr const char* kSignedHeaders = "content-type;host;x-amz-date;x-amz-target";
const std::string kBody = R"({"TableName": "bench", "Key": {"pk": {"S": "user0000012345"}}})";

struct SignedGetItem {
  HeaderList headers = {{"Host", "127.0.0.1:8000"},
                        {"Accept-Encoding", "identity"},
                        {"X-Amz-Target", "DynamoDB_20120810.GetItem"},
                        {"Content-Type", "application/x-amz-json-1.0"},
                        {"User-Agent", "Boto3/1.26.27 Python/3.11.2 Linux/6.1 Botocore/1.29.27"},
                        {"X-Amz-Date", kDate},
                        {"Content-Length", std::to_string(kBody.size())}};
  std::vector<HeaderView> views;
  SignedGetItem() {
    views = ViewsOf(headers);
    const SignedRequest request{"POST", "/", views, kBody};
    const std::string canonical =
        sigv4::CanonicalRequest(request, kSignedHeaders, Hex(Sha256(kBody)));
    const std::string scope = std::string(kDate, 8) + "/us-east-1/dynamodb/aws4_request";
    const std::string to_sign =
        std::string("AWS4-HMAC-SHA256\n") + kDate + "\n" + scope + "\n" + Hex(Sha256(canonical));
    const Digest key = sigv4::SigningKey(kSecret, std::string(kDate, 8), "us-east-1", "dynamodb");
    headers.emplace_back("Authorization",
                         std::string("AWS4-HMAC-SHA256 Credential=") + kKeyId + "/" + scope +
                             ", SignedHeaders=" + kSignedHeaders +
                             ", Signature=" + Hex(HmacSha256(AsView(key), to_sign)));
    views = ViewsOf(headers);
  }
  // REQUIRES: Refresh() after changing `headers`.
  SignedRequest request() const { return {"POST", "/", views, kBody}; }
  void Refresh() { views = ViewsOf(headers); }
};

Authenticator BenchAuthenticator() {
  AccessKey key;
  key.id = kKeyId;
  key.secret = kSecret;
  return Authenticator({key}, "us-east-1");
}

void BM_Authenticate(benchmark::State& state) {
  const SignedGetItem get;
  const Authenticator auth = BenchAuthenticator();
  const int64_t now = sigv4::ParseAmzDate(kDate) + 1000;
  if (!std::holds_alternative<const AccessKey*>(auth.Authenticate(get.request(), now))) {
    state.SkipWithError("the benchmark's own request does not verify");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(auth.Authenticate(get.request(), now));
}
BENCHMARK(BM_Authenticate);

void BM_AuthenticateWrongSignature(benchmark::State& state) {
  SignedGetItem get;
  get.headers.back().second.back() ^= 1;  // one hex digit of the signature
  get.Refresh();
  const Authenticator auth = BenchAuthenticator();
  const int64_t now = sigv4::ParseAmzDate(kDate) + 1000;
  for (auto _ : state) benchmark::DoNotOptimize(auth.Authenticate(get.request(), now));
}
BENCHMARK(BM_AuthenticateWrongSignature);

// The seed's sample policy, evaluated for a GetItem on its table (allowed).
void BM_PolicyEvaluate(benchmark::State& state) {
  auto policy = Policy::Parse(R"({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:UpdateItem"],
    "Resource": "arn:aws:dynamodb:us-east-1:000000000000:table/bench"}]})");
  if (!policy.ok()) {
    state.SkipWithError("policy does not parse");
    return;
  }
  ConditionContext context;
  context.Add("dynamodb:LeadingKeys", "user0000012345");
  const PolicyVariables vars{"", kKeyId, "000000000000"};
  const AccessRequest request{"dynamodb:GetItem",
                              "arn:aws:dynamodb:us-east-1:000000000000:table/bench", &context};
  for (auto _ : state) benchmark::DoNotOptimize((*policy)->Evaluate(request, vars));
}
BENCHMARK(BM_PolicyEvaluate);

void BM_Sha256Body(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Sha256(kBody));
}
BENCHMARK(BM_Sha256Body);

void BM_HmacSha256(benchmark::State& state) {
  const Digest key = Sha256("key");
  const std::string text(130, 'x');  // a string to sign's length
  for (auto _ : state) benchmark::DoNotOptimize(HmacSha256(AsView(key), text));
}
BENCHMARK(BM_HmacSha256);

}  // namespace
}  // namespace meridian::security

BENCHMARK_MAIN();
