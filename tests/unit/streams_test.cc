// Streams in the store (records, shards, retention, restart) and their names and shapes
// (daemon/api/stream_format.h).
#include <gtest/gtest.h>

#include <filesystem>

#include "common/wall_clock.h"
#include "conflict/hlc.h"
#include "daemon/api/api.h"
#include "daemon/api/stream_format.h"
#include "store/store.h"
#include "store/streams.h"
#include "store/ttl_sweeper.h"

namespace meridian::store {
namespace {

using model::AttributeValue;
using model::Item;

struct ManualClock final : conflict::PhysicalClock {
  uint64_t now = 1'800'000'000'000;
  uint64_t NowMillis() override { return now; }
};

class StreamStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("meridian_streams_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    Open();
    TableInfo info;
    info.name = "t";
    info.partition_key = {"pk", KeyType::kS};
    info.stream = {true, StreamViewType::kNewAndOldImages, clock_.now};
    ASSERT_TRUE(store_->CreateTable(info).ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    store_.reset();
    StoreOptions o;
    o.path = dir_.string();
    o.region = "s1";
    o.clock = &clock_;
    o.streams.retention_ms = 60'000;
    o.streams.shard_max_records = 1000;
    store_ = std::move(Store::Open(o).value());
  }
  void Put(const std::string& pk, const std::string& v) {
    auto t = *store_->GetTable("t");
    ASSERT_TRUE(store_
                    ->WriteItem(*t, AttributeValue::S(pk), nullptr,
                                [&](const Item*) {
                                  return Result<Mutation>(Mutation::Put(Item{
                                      {"pk", AttributeValue::S(pk)}, {"v", AttributeValue::S(v)}}));
                                })
                    .ok());
  }
  StreamInfo Stream() { return store_->ListStreams().at(0); }
  std::vector<StreamRecord> Records() {
    std::vector<StreamRecord> out;
    EXPECT_TRUE(store_->ReadStream(Stream(), 1, UINT64_MAX, 10'000, 1 << 30, &out).ok());
    return out;
  }

  ManualClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StreamStoreTest, RecordsFollowWritesAndSkipNoChange) {
  Put("a", "1");
  Put("a", "1");  // identical: no record
  Put("a", "2");
  auto t = *store_->GetTable("t");
  ASSERT_TRUE(store_
                  ->WriteItem(*t, AttributeValue::S("a"), nullptr,
                              [](const Item*) { return Result<Mutation>(Mutation::Expire()); })
                  .ok());
  auto records = Records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].event, StreamEvent::kInsert);
  EXPECT_FALSE(records[0].old_image);
  EXPECT_EQ(records[1].event, StreamEvent::kModify);
  EXPECT_EQ(records[1].old_image->at("v"), AttributeValue::S("1"));
  EXPECT_EQ(records[1].new_image->at("v"), AttributeValue::S("2"));
  EXPECT_EQ(records[2].event, StreamEvent::kRemove);
  EXPECT_TRUE(records[2].ttl_expiry);
  EXPECT_FALSE(records[1].ttl_expiry);
  EXPECT_LT(records[0].seq, records[1].seq);
  EXPECT_EQ(records[0].keys, (Item{{"pk", AttributeValue::S("a")}}));
}

TEST_F(StreamStoreTest, RestartClosesTheOpenShardAndKeepsRecords) {
  Put("a", "1");
  Put("b", "1");
  Open();
  StreamInfo s = Stream();
  ASSERT_EQ(s.shards.size(), 2u);
  EXPECT_TRUE(s.shards[0].closed);
  EXPECT_EQ(s.shards[0].last_seq, 2u);
  EXPECT_FALSE(s.shards[1].closed);
  EXPECT_EQ(s.shards[1].first_seq, 3u);
  Put("c", "1");
  auto records = Records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].seq, 3u);
  Open();  // an empty open shard is kept as it is
  Open();
  EXPECT_EQ(Stream().shards.size(), 3u);
}

TEST_F(StreamStoreTest, RetentionTrimsOldRecordsAndDisabledStreams) {
  Put("a", "1");
  Put("b", "1");
  clock_.now += 50'000;
  Put("c", "1");
  clock_.now += 20'000;  // a and b are 70 s old, c 20 s: retention is 60 s
  ASSERT_TRUE(store_->TrimStreams().ok());
  auto records = Records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].keys.at("pk"), AttributeValue::S("c"));
  EXPECT_EQ(Stream().trimmed_before, records[0].seq);
  // Disabled, then past the retention: the stream is gone.
  ASSERT_TRUE(store_
                  ->UpdateTable("t",
                                [](TableInfo* info) {
                                  info->stream.enabled = false;
                                  return Status::Ok();
                                })
                  .ok());
  EXPECT_FALSE(Stream().enabled());
  clock_.now += 61'000;
  ASSERT_TRUE(store_->TrimStreams().ok());
  EXPECT_TRUE(store_->ListStreams().empty());
  Open();
  EXPECT_TRUE(store_->ListStreams().empty());
}

TEST_F(StreamStoreTest, ReenablingStartsANewStream) {
  Put("a", "1");
  ASSERT_TRUE(store_
                  ->UpdateTable("t",
                                [&](TableInfo* info) {
                                  info->stream = {true, StreamViewType::kKeysOnly, clock_.now + 1};
                                  return Status::Ok();
                                })
                  .ok());
  Put("a", "2");
  auto streams = store_->ListStreams();
  ASSERT_EQ(streams.size(), 2u);
  EXPECT_FALSE(streams[0].enabled());
  EXPECT_TRUE(streams[1].enabled());
  std::vector<StreamRecord> records;
  ASSERT_TRUE(store_->ReadStream(streams[1], 1, UINT64_MAX, 100, 1 << 20, &records).ok());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_FALSE(records[0].new_image);  // KEYS_ONLY
}

TEST_F(StreamStoreTest, TtlSweeperDeletesExpiredItems) {
  ASSERT_TRUE(store_
                  ->UpdateTable("t",
                                [](TableInfo* info) {
                                  info->ttl_enabled = true;
                                  info->ttl_attribute = "exp";
                                  return Status::Ok();
                                })
                  .ok());
  auto t = *store_->GetTable("t");
  const uint64_t now_s = clock_.now / 1000;
  for (const auto& entry : std::vector<std::pair<std::string, uint64_t>>{
           {"old", now_s - 1},
           {"new", now_s + 100},
           {"ancient", now_s - uint64_t{6} * 365 * 86400}}) {
    const std::string& pk = entry.first;
    const uint64_t exp = entry.second;
    ASSERT_TRUE(
        store_
            ->WriteItem(
                *t, AttributeValue::S(pk), nullptr,
                [&](const Item*) {
                  return Result<Mutation>(Mutation::Put(Item{
                      {"pk", AttributeValue::S(pk)},
                      {"exp", AttributeValue::N(*model::Number::Parse(std::to_string(exp)))}}));
                })
            .ok());
  }
  TtlSweeper sweeper(store_.get(), TtlSweeperOptions{1000, 100'000, &clock_});
  EXPECT_EQ(*sweeper.SweepOnce(), 1u);
  EXPECT_FALSE(*store_->GetItem(*t, AttributeValue::S("old"), nullptr));
  EXPECT_TRUE(*store_->GetItem(*t, AttributeValue::S("new"), nullptr));
  EXPECT_TRUE(*store_->GetItem(*t, AttributeValue::S("ancient"), nullptr));
  clock_.now += 101'000;
  EXPECT_EQ(*sweeper.SweepOnce(), 1u);
  EXPECT_FALSE(*store_->GetItem(*t, AttributeValue::S("new"), nullptr));
  auto records = Records();
  ASSERT_GE(records.size(), 2u);
  EXPECT_TRUE(records.back().ttl_expiry);
}

TEST(StreamCodecTest, GarbageIsCorruptionNotACrash) {
  StreamInfo info;
  info.table_name = "t";
  info.partition_key = {"pk", KeyType::kN};
  info.sort_key = KeyAttribute{"sk", KeyType::kB};
  OpenShard(&info, 5, 1);
  const std::string bytes = EncodeStreamInfo(info);
  auto back = DecodeStreamInfo(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->sort_key->name, "sk");
  EXPECT_EQ(back->shards.at(0).first_seq, 5u);
  Item item{{"pk", AttributeValue::N(*model::Number::Parse("1"))}, {"x", AttributeValue::S("y")}};
  EXPECT_FALSE(EncodeStreamChange(info, &item, &item, 1, false));
  EXPECT_FALSE(EncodeStreamChange(info, nullptr, nullptr, 1, false));
  const std::string rec = *EncodeStreamChange(info, nullptr, &item, 1234, false);
  auto decoded = DecodeStreamRecord(rec, 9);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->seq, 9u);
  EXPECT_EQ(decoded->time_ms, 1234u);
  EXPECT_EQ(decoded->keys, (Item{{"pk", item.at("pk")}}));
  EXPECT_EQ(*decoded->new_image, item);
  EXPECT_FALSE(decoded->old_image);
  for (size_t cut = 0; cut < rec.size(); ++cut) {
    (void)DecodeStreamRecord(rec.substr(0, cut), 1);
    std::string flipped = rec;
    flipped[cut] = static_cast<char>(flipped[cut] ^ 0x5a);
    (void)DecodeStreamRecord(flipped, 1);
  }
  for (size_t cut = 0; cut < bytes.size(); ++cut) (void)DecodeStreamInfo(bytes.substr(0, cut));
}

}  // namespace
}  // namespace meridian::store

namespace meridian::api {
namespace {

TEST(StreamFormatTest, NamesRoundTrip) {
  const uint64_t label = 1'796'308'842'123;
  EXPECT_EQ(StreamLabel(label), "2026-12-03T14:40:42.123");
  EXPECT_EQ(ParseStreamLabel(StreamLabel(label)), label);
  EXPECT_FALSE(ParseStreamLabel("2026-13-03T14:40:42.123"));
  EXPECT_FALSE(ParseStreamLabel("garbage"));
  const std::string arn = StreamArn("eu-west-1", "000000000000", "Orders", label);
  EXPECT_EQ(arn,
            "arn:aws:dynamodb:eu-west-1:000000000000:table/Orders/stream/"
            "2026-12-03T14:40:42.123");
  auto parts = ParseStreamArn(arn);
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->table, "Orders");
  EXPECT_EQ(parts->label_ms, label);
  EXPECT_FALSE(ParseStreamArn("arn:aws:dynamodb:x:y:table/T"));
  store::StreamInfo s;
  s.table_name = "Orders";
  s.label_ms = label;
  const std::string id = ShardId(s, 42);
  EXPECT_EQ(id.size(), 37u);
  EXPECT_EQ(ParseShardId(s, id), 42u);
  std::string other = id;
  other.back() = other.back() == '0' ? '1' : '0';
  EXPECT_FALSE(ParseShardId(s, other));
  EXPECT_EQ(SequenceNumber(7), "000000000000000000007");
  EXPECT_EQ(ParseSequenceNumber("000000000000000000007"), 7u);
  EXPECT_FALSE(ParseSequenceNumber("12x"));
}

TEST(StreamApiTest, IteratorsExpireAfterFifteenMinutes) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("meridian_stream_api_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    store::StoreOptions o;
    o.path = dir.string();
    o.region = "us-east-1";
    auto db = std::move(store::Store::Open(o).value());
    Api api(db.get(), ApiOptions{});
    ASSERT_EQ(api.Handle("DynamoDB_20120810.CreateTable",
                         R"({"TableName":"exp","BillingMode":"PAY_PER_REQUEST",
        "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
        "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
        "StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"}})")
                  .status,
              200);
    const store::StreamInfo s = db->ListStreams().at(0);
    const std::string arn = StreamArn("us-east-1", "000000000000", "exp", s.label_ms);
    const uint64_t now = static_cast<uint64_t>(WallClockMillis());
    auto get = [&](uint64_t issued) {
      ShardIterator it{arn, s.shards.at(0).first_seq, s.shards.at(0).first_seq, issued};
      return api.Handle("DynamoDBStreams_20120810.GetRecords",
                        R"({"ShardIterator":")" + EncodeShardIterator(it) + R"("})");
    };
    EXPECT_EQ(get(now - uint64_t{14} * 60 * 1000).status, 200);
    auto expired = get(now - uint64_t{16} * 60 * 1000);
    EXPECT_EQ(expired.status, 400);
    EXPECT_NE(expired.body.find("ExpiredIteratorException"), std::string::npos) << expired.body;
  }
  std::filesystem::remove_all(dir);
}

TEST(StreamFormatTest, IteratorsRejectEveryChange) {
  ShardIterator it{"arn:aws:dynamodb:r:0:table/T/stream/2026-12-03T14:40:42.123", 3, 17, 99};
  const std::string text = EncodeShardIterator(it);
  auto back = DecodeShardIterator(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->position, 17u);
  EXPECT_EQ(back->shard_first_seq, 3u);
  EXPECT_EQ(back->issued_ms, 99u);
  for (size_t i = 0; i < text.size(); ++i) {
    for (char c : std::string("A0|/+=x")) {
      if (text[i] == c) continue;
      std::string changed = text;
      changed[i] = c;
      EXPECT_FALSE(DecodeShardIterator(changed)) << changed;
    }
  }
  EXPECT_FALSE(DecodeShardIterator(""));
  EXPECT_FALSE(DecodeShardIterator(text.substr(0, text.size() - 1)));
}

}  // namespace
}  // namespace meridian::api
