// The DynamoDB API decoder against garbage: random bytes, truncations and mutations of valid
// requests for every operation. Every answer must be a 200 or a 400 whose body is a
// well-formed DynamoDB error; nothing may crash, hang or return 500.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <random>

#include "daemon/api/api.h"
#include "store/store.h"

namespace meridian::api {
namespace {

class ApiFuzzTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("meridian_api_fuzz_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    store::StoreOptions options;
    options.path = dir_.string();
    options.region = "r1";
    options.block_cache_mb = 8;
    store_ = std::move(store::Store::Open(options).value());
    api_ = std::make_unique<Api>(store_.get(), ApiOptions{});
    Call("CreateTable", R"({"TableName":"fuzz","BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}],
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}]})");
  }
  void TearDown() override {
    api_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // `op` names a DynamoDB operation, or is a whole target ("DynamoDBStreams_20120810.X").
  ApiResponse Call(const std::string& op, const std::string& body) {
    const std::string target = op.find('.') == std::string::npos ? "DynamoDB_20120810." + op : op;
    ApiResponse r = api_->Handle(target, body);
    EXPECT_TRUE(r.status == 200 || r.status == 400)
        << op << " " << body << " -> " << r.status << " " << r.body;
    boost::json::error_code ec;
    auto parsed = boost::json::parse(r.body, ec);
    EXPECT_FALSE(ec) << r.body;
    if (!ec && r.status == 400) {
      EXPECT_TRUE(parsed.is_object() && parsed.as_object().contains("__type")) << r.body;
    }
    return r;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Api> api_;
};

const std::vector<std::pair<std::string, std::string>> kValidRequests = {
    {"PutItem",
     R"J({"TableName":"fuzz","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"m":{"M":{"x":{"L":[{"N":"2"},{"SS":["p","q"]}]}}},"b":{"B":"AAE="}},"ConditionExpression":"attribute_not_exists(pk) OR #m.x[0] < :v","ExpressionAttributeNames":{"#m":"m"},"ExpressionAttributeValues":{":v":{"N":"5"}},"ReturnValues":"ALL_OLD"})J"},
    {"GetItem",
     R"J({"TableName":"fuzz","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ProjectionExpression":"m.x[1], b"})J"},
    {"UpdateItem",
     R"J({"TableName":"fuzz","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"SET c = if_not_exists(c, :z) + :one, l = list_append(:l, :l) REMOVE b ADD s :s DELETE t :s","ExpressionAttributeValues":{":z":{"N":"0"},":one":{"N":"1"},":l":{"L":[{"NULL":true}]},":s":{"NS":["1","2"]}},"ReturnValues":"UPDATED_NEW"})J"},
    {"DeleteItem",
     R"J({"TableName":"fuzz","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ConditionExpression":"size(m) > :n AND begins_with(pk, :p)","ExpressionAttributeValues":{":n":{"N":"0"},":p":{"S":"a"}}})J"},
    {"Query",
     R"J({"TableName":"fuzz","KeyConditionExpression":"pk = :p AND sk BETWEEN :a AND :b","FilterExpression":"contains(m, :p) OR attribute_type(c, :t)","ExpressionAttributeValues":{":p":{"S":"a"},":a":{"N":"-1"},":b":{"N":"1e3"},":t":{"S":"N"}},"Limit":3,"ScanIndexForward":false,"ExclusiveStartKey":{"pk":{"S":"a"},"sk":{"N":"0"}}})J"},
    {"Scan",
     R"J({"TableName":"fuzz","Segment":1,"TotalSegments":3,"Limit":2,"Select":"COUNT","FilterExpression":"c IN (:a, :b)","ExpressionAttributeValues":{":a":{"N":"1"},":b":{"BOOL":true}}})J"},
    {"TransactWriteItems",
     R"J({"ClientRequestToken":"tok","TransactItems":[{"Put":{"TableName":"fuzz","Item":{"pk":{"S":"t"},"sk":{"N":"1"},"v":{"SS":["a"]}},"ConditionExpression":"attribute_not_exists(pk)"}},{"Update":{"TableName":"fuzz","Key":{"pk":{"S":"t"},"sk":{"N":"2"}},"UpdateExpression":"ADD n :one","ExpressionAttributeValues":{":one":{"N":"1"}}}},{"ConditionCheck":{"TableName":"fuzz","Key":{"pk":{"S":"t"},"sk":{"N":"3"}},"ConditionExpression":"attribute_not_exists(#x)","ExpressionAttributeNames":{"#x":"x"},"ReturnValuesOnConditionCheckFailure":"ALL_OLD"}},{"Delete":{"TableName":"fuzz","Key":{"pk":{"S":"t"},"sk":{"N":"4"}}}}],"ReturnConsumedCapacity":"INDEXES","ReturnItemCollectionMetrics":"SIZE"})J"},
    {"TransactGetItems",
     R"J({"TransactItems":[{"Get":{"TableName":"fuzz","Key":{"pk":{"S":"t"},"sk":{"N":"1"}},"ProjectionExpression":"#v","ExpressionAttributeNames":{"#v":"v"}}},{"Get":{"TableName":"fuzz","Key":{"pk":{"S":"t"},"sk":{"N":"2"}}}}],"ReturnConsumedCapacity":"TOTAL"})J"},
    {"ExecuteStatement",
     R"J({"Statement":"SELECT pk, m.x[0] FROM \"fuzz\" WHERE pk = ? AND sk BETWEEN 0 AND 5 AND (m.x[0] > 1 OR attribute_exists(b) OR c IN [1, 'x'])","Parameters":[{"S":"a"}],"Limit":5})J"},
    {"BatchExecuteStatement",
     R"J({"Statements":[{"Statement":"INSERT INTO fuzz VALUE {'pk':'q','sk':7,'s':<<'a'>>,'m':{'l':[1,?]}}","Parameters":[{"B":"AAE="}]},{"Statement":"UPDATE fuzz SET n = 1 REMOVE s WHERE pk='zz' AND sk=?","Parameters":[{"N":"1"}]}],"ReturnConsumedCapacity":"TOTAL"})J"},
    {"ExecuteTransaction",
     R"J({"TransactStatements":[{"Statement":"DELETE FROM fuzz WHERE pk='t' AND sk=9"},{"Statement":"EXISTS(SELECT * FROM fuzz WHERE pk='t' AND sk=1 AND attribute_exists(v))"}],"ClientRequestToken":"x"})J"},
    {"DescribeTable", R"J({"TableName":"fuzz"})J"},
    {"ListTables", R"J({"Limit":1,"ExclusiveStartTableName":"aaa"})J"},
};

TEST_F(ApiFuzzTest, ValidRequestsSucceed) {
  for (const auto& [op, body] : kValidRequests) {
    auto r = Call(op, body);
    EXPECT_EQ(r.status, 200) << op << ": " << r.body;
  }
}

// One to four random edits (replace, erase, insert, truncate) of `text`.
std::string Mutate(std::string text, std::mt19937& rng) {
  // Sized explicitly: the alphabet ends with a NUL byte, which a plain literal would drop.
  static constexpr char kChars[] = "{}[]:,\"\\ 0123456789.-+eE:#abcSNBLMtrue|=/\xff\x00";
  static const std::string kAlphabet(kChars, sizeof kChars - 1);
  const int edits = 1 + rng() % 4;
  for (int e = 0; e < edits && !text.empty(); ++e) {
    size_t pos = rng() % text.size();
    switch (rng() % 4) {
      case 0: text[pos] = kAlphabet[rng() % kAlphabet.size()]; break;
      case 1: text.erase(pos, 1 + rng() % 8); break;
      case 2: text.insert(pos, 1, kAlphabet[rng() % kAlphabet.size()]); break;
      case 3: text.resize(pos); break;
    }
  }
  return text;
}

TEST_F(ApiFuzzTest, MutatedRequestsGetDynamoDbErrors) {
  const uint32_t seed = 20261124;
  std::mt19937 rng(seed);
  int errors = 0;
  for (int round = 0; round < 4000; ++round) {
    for (const auto& [op, body] : kValidRequests) {
      SCOPED_TRACE("seed " + std::to_string(seed) + " round " + std::to_string(round));
      if (Call(op, Mutate(body, rng)).status == 400) ++errors;
    }
  }
  EXPECT_GT(errors, 1000);
}

std::string Member(const ApiResponse& r, const char* a, const char* b = nullptr) {
  auto v = boost::json::parse(r.body);
  const boost::json::value* at = &v.as_object().at(a);
  if (b) at = &at->as_object().at(b);
  if (at->is_array()) at = &at->as_array().at(0);
  return std::string(at->as_string());
}

// The Streams API and TTL: valid requests succeed, and mutations of them (ARNs, shard ids,
// sequence numbers and shard iterators included) get DynamoDB errors.
TEST_F(ApiFuzzTest, StreamsAndTtlRequestsSurviveGarbage) {
  const std::string streams = "DynamoDBStreams_20120810.";
  ASSERT_EQ(
      Call(
          "UpdateTable",
          R"({"TableName":"fuzz","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}})")
          .status,
      200);
  for (const auto& [op, body] : kValidRequests) Call(op, body);
  auto listed = Call(streams + "ListStreams", R"({"TableName":"fuzz"})");
  const std::string arn = boost::json::value_to<std::string>(
      boost::json::parse(listed.body).at("Streams").at(0).at("StreamArn"));
  auto described = Call(streams + "DescribeStream", R"({"StreamArn":")" + arn + R"("})");
  const std::string shard = boost::json::value_to<std::string>(
      boost::json::parse(described.body).at("StreamDescription").at("Shards").at(0).at("ShardId"));
  auto iterator =
      Call(streams + "GetShardIterator", R"({"StreamArn":")" + arn + R"(","ShardId":")" + shard +
                                             R"(","ShardIteratorType":"TRIM_HORIZON"})");
  const std::string it = Member(iterator, "ShardIterator");
  auto records = Call(streams + "GetRecords", R"({"ShardIterator":")" + it + R"(","Limit":5})");
  ASSERT_EQ(records.status, 200) << records.body;
  const std::string seq = boost::json::value_to<std::string>(
      boost::json::parse(records.body).at("Records").at(0).at("dynamodb").at("SequenceNumber"));
  const std::vector<std::pair<std::string, std::string>> valid = {
      {streams + "ListStreams", R"({"Limit":2,"ExclusiveStartStreamArn":")" + arn + R"("})"},
      {streams + "DescribeStream",
       R"({"StreamArn":")" + arn + R"(","Limit":1,"ExclusiveStartShardId":")" + shard + R"("})"},
      {streams + "GetShardIterator", R"({"StreamArn":")" + arn + R"(","ShardId":")" + shard +
                                         R"(","ShardIteratorType":"AFTER_SEQUENCE_NUMBER",)" +
                                         R"("SequenceNumber":")" + seq + R"("})"},
      {streams + "GetRecords", R"({"ShardIterator":")" + it + R"("})"},
      {"UpdateTimeToLive",
       R"({"TableName":"fuzz","TimeToLiveSpecification":{"Enabled":true,"AttributeName":"exp"}})"},
      {"DescribeTimeToLive", R"({"TableName":"fuzz"})"},
  };
  for (const auto& [op, body] : valid) EXPECT_EQ(Call(op, body).status, 200) << op << body;
  std::mt19937 rng(20261203);
  int errors = 0;
  for (int round = 0; round < 3000; ++round) {
    for (const auto& [op, body] : valid) {
      SCOPED_TRACE("round " + std::to_string(round));
      if (Call(op, Mutate(body, rng)).status == 400) ++errors;
    }
    // The iterator alone, mutated inside a well-formed request.
    std::string bad = Mutate(it, rng);
    std::string escaped;
    for (char c : bad) {
      if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 ||
          static_cast<unsigned char>(c) >= 0x80)
        continue;
      escaped += c;
    }
    auto r = Call(streams + "GetRecords", R"({"ShardIterator":")" + escaped + R"("})");
    if (escaped != it) {
      EXPECT_EQ(r.status, 400) << escaped;
    }
  }
  EXPECT_GT(errors, 1000);
}

TEST_F(ApiFuzzTest, RandomBytesAndWrongTargets) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string body(rng() % 64, '\0');
    for (auto& c : body) c = static_cast<char>(rng());
    EXPECT_EQ(Call("PutItem", body).status, 400);
  }
  EXPECT_NE(api_->Handle("DynamoDB_20120810.Nope", "{}").body.find("UnknownOperationException"),
            std::string::npos);
  EXPECT_NE(api_->Handle("", "{}").body.find("UnknownOperationException"), std::string::npos);
  EXPECT_NE(api_->Handle("DynamoDB_20120810.PutItem", "[1]").body.find("SerializationException"),
            std::string::npos);
}

TEST_F(ApiFuzzTest, DeepNestingIsRejectedNotOverflowed) {
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += R"({"L":[)";
  deep += R"({"S":"x"})";
  for (int i = 0; i < 5000; ++i) deep += "]}";
  auto r = Call("PutItem",
                R"({"TableName":"fuzz","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"d":)" + deep + "}}");
  EXPECT_EQ(r.status, 400);
  std::string ok_depth;
  for (int i = 0; i < 31; ++i) ok_depth += R"({"L":[)";
  ok_depth += R"({"S":"x"})";
  for (int i = 0; i < 31; ++i) ok_depth += "]}";
  r = Call("PutItem",
           R"({"TableName":"fuzz","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"d":)" + ok_depth + "}}");
  EXPECT_EQ(r.status, 200) << r.body;
}

// Invalid UTF-8 anywhere in a body (values, names, table names, raw bytes after a valid
// document) and lone UTF-16 surrogates in escapes: a SerializationException, nothing stored.
TEST_F(ApiFuzzTest, InvalidUtf8IsASerializationError) {
  const std::vector<std::string> bad = {
      "\xff",  "\xc0\xaf", "\xed\xa0\x80",    "\xf8\x88\x80\x80\x80",
      "a\x80", "\xe2\x82", "\xf4\x90\x80\x80"};
  for (const auto& b : bad) {
    for (const std::string& body :
         {R"({"TableName":"fuzz","Item":{"pk":{"S":")" + b + R"("},"sk":{"N":"1"}}})",
          R"({"TableName":"fuzz","Item":{"pk":{"S":"u"},"sk":{"N":"1"},")" + b + R"(":{"S":"x"}}})",
          R"({"TableName":"fu)" + b + R"(zz","Item":{"pk":{"S":"u"},"sk":{"N":"1"}}})"}) {
      auto r = Call("PutItem", body);
      EXPECT_EQ(r.status, 400);
      EXPECT_NE(r.body.find("SerializationException"), std::string::npos) << r.body;
    }
  }
  auto r = Call("PutItem", R"({"TableName":"fuzz","Item":{"pk":{"S":"\ud800"},"sk":{"N":"1"}}})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = Call("Scan", R"({"TableName":"fuzz"})");
  EXPECT_NE(r.body.find(R"("Count":0)"), std::string::npos) << r.body;
  // Valid multi-byte text and escaped pairs are stored and come back intact.
  r = Call("PutItem",
           R"({"TableName":"fuzz","Item":{"pk":{"S":"\u00e9\ud83d\ude00€"},"sk":{"N":"1"}}})");
  EXPECT_EQ(r.status, 200) << r.body;
  r = Call("GetItem", R"({"TableName":"fuzz","Key":{"pk":{"S":"é😀€"},"sk":{"N":"1"}}})");
  EXPECT_NE(r.body.find("é😀€"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace meridian::api
