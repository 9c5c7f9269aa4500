// SigV4 verification: AWS's documented example (IAM ListUsers, 2015-08-30), then each
// failure with DynamoDB's error type.
#include "security/sigv4.h"

#include <gtest/gtest.h>

#include <deque>

namespace meridian::security {
namespace {

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr const char* kSignature =
    "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

HeaderList ExampleHeaders(const std::string& signature = kSignature) {
  return {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
          {"Host", "iam.amazonaws.com"},
          {"X-Amz-Date", "20150830T123600Z"},
          {"Authorization",
           "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
           "SignedHeaders=content-type;host;x-amz-date, Signature=" +
               signature}};
}

SignedRequest ExampleRequest(const HeaderList* headers) {
  static std::deque<std::vector<HeaderView>> views;  // alive for the whole test run
  views.push_back(ViewsOf(*headers));
  return {"GET", "/?Version=2010-05-08&Action=ListUsers", views.back(), ""};
}

Authenticator ExampleAuthenticator(std::string session_token = "") {
  AccessKey key;
  key.id = "AKIDEXAMPLE";
  key.secret = kSecret;
  key.session_token = std::move(session_token);
  return Authenticator({key}, "us-east-1", "iam");
}

const int64_t kNow = sigv4::ParseAmzDate("20150830T123600Z");

// RFC 4231 test cases 1 (short key) and 6 (a key longer than SHA-256's block, hashed first).
TEST(Crypto, HmacSha256MatchesRfc4231) {
  EXPECT_EQ(Hex(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(Hex(HmacSha256(std::string(131, '\xaa'),
                           "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

std::string ErrorType(const AuthResult& r) {
  const auto* e = std::get_if<AuthError>(&r);
  return e ? e->type.substr(e->type.find('#') + 1) : "ok";
}
std::string ErrorMessage(const AuthResult& r) {
  const auto* e = std::get_if<AuthError>(&r);
  return e ? e->message : "";
}

AccessKey Key(std::string id, std::string secret) {
  AccessKey key;
  key.id = std::move(id);
  key.secret = std::move(secret);
  return key;
}

TEST(SigV4, DocumentedExampleHasTheDocumentedPieces) {
  HeaderList headers = ExampleHeaders();
  const std::string canonical = sigv4::CanonicalRequest(
      ExampleRequest(&headers), "content-type;host;x-amz-date", Hex(Sha256("")));
  EXPECT_EQ(canonical,
            "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
            "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
            "host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "content-type;host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hex(Sha256(canonical)),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  EXPECT_EQ(Hex(sigv4::SigningKey(kSecret, "20150830", "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

TEST(SigV4, AcceptsTheDocumentedSignature) {
  Authenticator auth = ExampleAuthenticator();
  HeaderList headers = ExampleHeaders();
  const AuthResult r = auth.Authenticate(ExampleRequest(&headers), kNow);
  ASSERT_EQ(ErrorType(r), "ok") << ErrorMessage(r);
  EXPECT_EQ(std::get<const AccessKey*>(r)->id, "AKIDEXAMPLE");
  // Again, from the signing-key cache.
  EXPECT_EQ(ErrorType(auth.Authenticate(ExampleRequest(&headers), kNow + 1000)), "ok");
}

TEST(SigV4, RejectsAChangedSignatureBodyOrHeader) {
  Authenticator auth = ExampleAuthenticator();
  std::string wrong = kSignature;
  wrong[0] = '6';
  HeaderList headers = ExampleHeaders(wrong);
  AuthResult r = auth.Authenticate(ExampleRequest(&headers), kNow);
  EXPECT_EQ(ErrorType(r), "InvalidSignatureException");
  EXPECT_EQ(ErrorMessage(r),
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.");
  headers = ExampleHeaders();
  SignedRequest with_body = ExampleRequest(&headers);
  with_body.body = "x";
  EXPECT_EQ(ErrorType(auth.Authenticate(with_body, kNow)), "InvalidSignatureException");
  headers[1].second = "evil.example.com";
  EXPECT_EQ(ErrorType(auth.Authenticate(ExampleRequest(&headers), kNow)),
            "InvalidSignatureException");
  AccessKey other = Key("AKIDEXAMPLE", "another secret");
  Authenticator wrong_secret({other}, "us-east-1", "iam");
  headers = ExampleHeaders();
  EXPECT_EQ(ErrorType(wrong_secret.Authenticate(ExampleRequest(&headers), kNow)),
            "InvalidSignatureException");
}

TEST(SigV4, MissingAndMalformedAuthorization) {
  Authenticator auth = ExampleAuthenticator();
  HeaderList none = {{"Host", "iam.amazonaws.com"}};
  AuthResult r = auth.Authenticate(ExampleRequest(&none), kNow);
  EXPECT_EQ(ErrorType(r), "MissingAuthenticationTokenException");
  EXPECT_EQ(ErrorMessage(r), "Request is missing Authentication Token");
  HeaderList garbage = {{"Authorization", "Basic dXNlcjpwYXNz"}};
  r = auth.Authenticate(ExampleRequest(&garbage), kNow);
  EXPECT_EQ(ErrorType(r), "IncompleteSignatureException");
  EXPECT_NE(ErrorMessage(r).find("requires 'Credential' parameter"), std::string::npos);
  HeaderList no_equals = {{"Authorization", "AWS4-HMAC-SHA256 Credential"}};
  EXPECT_EQ(ErrorType(auth.Authenticate(ExampleRequest(&no_equals), kNow)),
            "IncompleteSignatureException");
  HeaderList short_credential = ExampleHeaders();
  short_credential[3].second =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830, SignedHeaders=host, Signature=00";
  r = auth.Authenticate(ExampleRequest(&short_credential), kNow);
  EXPECT_EQ(ErrorType(r), "IncompleteSignatureException");
  EXPECT_NE(ErrorMessage(r).find("exactly 5 slash-delimited elements"), std::string::npos);
  HeaderList no_date = ExampleHeaders();
  no_date.erase(no_date.begin() + 2);
  EXPECT_EQ(ErrorType(auth.Authenticate(ExampleRequest(&no_date), kNow)),
            "IncompleteSignatureException");
  HeaderList bad_date = ExampleHeaders();
  bad_date[2].second = "2015-08-30T12:36:00Z";
  EXPECT_EQ(ErrorType(auth.Authenticate(ExampleRequest(&bad_date), kNow)),
            "IncompleteSignatureException");
  HeaderList sha512 = {{"Authorization", "AWS4-HMAC-SHA512 Credential=a/b/c/d/e"}};
  EXPECT_EQ(ErrorMessage(auth.Authenticate(ExampleRequest(&sha512), kNow)),
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'");
}

TEST(SigV4, UnknownKeyAndWrongScope) {
  AccessKey key = Key("OTHERKEY", kSecret);
  Authenticator unknown({key}, "us-east-1", "iam");
  HeaderList headers = ExampleHeaders();
  AuthResult r = unknown.Authenticate(ExampleRequest(&headers), kNow);
  EXPECT_EQ(ErrorType(r), "UnrecognizedClientException");
  EXPECT_EQ(ErrorMessage(r), "The security token included in the request is invalid.");
  AccessKey example = Key("AKIDEXAMPLE", kSecret);
  Authenticator eu({example}, "eu-west-1", "iam");
  r = eu.Authenticate(ExampleRequest(&headers), kNow);
  EXPECT_EQ(ErrorType(r), "InvalidSignatureException");
  EXPECT_EQ(ErrorMessage(r), "Credential should be scoped to a valid region, not 'us-east-1'. ");
  Authenticator dynamo({example}, "us-east-1", "dynamodb");
  EXPECT_EQ(ErrorMessage(dynamo.Authenticate(ExampleRequest(&headers), kNow)),
            "Credential should be scoped to correct service: 'dynamodb'. ");
}

TEST(SigV4, SignaturesOlderOrNewerThanFiveMinutesAreRejected) {
  Authenticator auth = ExampleAuthenticator();
  HeaderList headers = ExampleHeaders();
  EXPECT_EQ(ErrorType(auth.Authenticate(ExampleRequest(&headers), kNow + 299'000)), "ok");
  AuthResult r = auth.Authenticate(ExampleRequest(&headers), kNow + 301'000);
  EXPECT_EQ(ErrorType(r), "InvalidSignatureException");
  EXPECT_EQ(ErrorMessage(r),
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
            "(20150830T124101Z - 5 min.)");
  r = auth.Authenticate(ExampleRequest(&headers), kNow - 301'000);
  EXPECT_EQ(ErrorType(r), "InvalidSignatureException");
  EXPECT_EQ(ErrorMessage(r).substr(0, 26), "Signature not yet current:");
}

TEST(SigV4, SessionTokensMustMatchTheKey) {
  Authenticator temporary = ExampleAuthenticator("token-1");
  HeaderList headers = ExampleHeaders();
  // The signature does not cover the token header (not signed), so only the token decides.
  EXPECT_EQ(ErrorType(temporary.Authenticate(ExampleRequest(&headers), kNow)),
            "UnrecognizedClientException");
  headers.emplace_back("X-Amz-Security-Token", "token-2");
  EXPECT_EQ(ErrorType(temporary.Authenticate(ExampleRequest(&headers), kNow)),
            "UnrecognizedClientException");
  headers.back().second = "token-1";
  EXPECT_EQ(ErrorType(temporary.Authenticate(ExampleRequest(&headers), kNow)), "ok");
  Authenticator permanent = ExampleAuthenticator();
  EXPECT_EQ(ErrorType(permanent.Authenticate(ExampleRequest(&headers), kNow)),
            "UnrecognizedClientException");
  AccessKey expired = Key("AKIDEXAMPLE", kSecret);
  expired.expires_ms = kNow;
  Authenticator expiring({expired}, "us-east-1", "iam");
  HeaderList plain = ExampleHeaders();
  EXPECT_EQ(ErrorType(expiring.Authenticate(ExampleRequest(&plain), kNow)),
            "ExpiredTokenException");
}

TEST(SigV4, HostMustBeSigned) {
  Authenticator auth = ExampleAuthenticator();
  HeaderList headers = ExampleHeaders();
  headers[3].second =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
      "SignedHeaders=x-amz-date, Signature=00";
  EXPECT_EQ(ErrorMessage(auth.Authenticate(ExampleRequest(&headers), kNow)),
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
}

}  // namespace
}  // namespace meridian::security
