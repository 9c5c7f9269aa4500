// Store: ClientRequestTokens of transactions (DynamoDB: a retry with the same token within
// 10 minutes does nothing and succeeds; the same token with another request is refused).
//
// Every token a committed transaction used is written in the transaction's own commit
// group, in the tokens column family, under "txn_token/<token>" -> time | last seq |
// request digest. Lookups ignore records older than 10 minutes, and compactions drop them
// (ExpiredTokenFilter), so the column family holds about 10 minutes of tokens. Until
// its group is written a record lives in recent_tokens_ too, so a retry that arrives before
// the write finds it; memory holds only those, not the whole window (the AWS SDKs send a
// token with every transaction: thousands a second).
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "store/store.h"
#include "store/store_keys.h"

namespace meridian::store {
namespace {
// recent_tokens_ is pruned once it holds this many records.
constexpr size_t kRecentTokensPruneAt = 4096;
}  // namespace
Result<std::optional<Store::TokenRecord>> Store::FindToken(const std::string& token,
                                                           uint64_t now_ms) const {
  // Records whose group is written are found in RocksDB: recent_tokens_ forgets them, in
  // batches (reading the committed seq costs a lock the commit path uses).
  bool prune;
  {
    MutexLock lock(&token_mu_);
    prune = recent_order_.size() >= kRecentTokensPruneAt;
  }
  const std::optional<uint64_t> committed =
      prune ? std::optional<uint64_t>(committed_seq()) : std::nullopt;
  std::optional<TokenRecord> found;
  {
    MutexLock lock(&token_mu_);
    while (committed && !recent_order_.empty() && recent_order_.front().first <= *committed) {
      auto it = recent_tokens_.find(recent_order_.front().second);
      if (it != recent_tokens_.end() && it->second.seq == recent_order_.front().first) {
        recent_tokens_.erase(it);
      }
      recent_order_.pop_front();
    }
    if (auto it = recent_tokens_.find(token); it != recent_tokens_.end()) found = it->second;
  }
  if (!found) {
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions(), tokens_cf_, keys::kTxnTokenPrefix + token, &value);
    if (!s.ok() && !s.IsNotFound()) return Status::IOError("token: " + s.ToString());
    if (s.ok()) {
      if (value.size() < 16) return Status::Corruption("transaction token record");
      found = TokenRecord{keys::DecodeU64(value), value.substr(16),
                          keys::DecodeU64(std::string_view(value).substr(8))};
    }
  }
  if (found && found->time_ms + kTransactTokenTtlMs <= now_ms) found.reset();  // expired
  return found;
}

void Store::StageTokenLocked(const TransactToken& token, uint64_t now_ms, uint64_t seq) {
  TokenRecord record{now_ms, token.request_digest, seq};
  group_->Put(tokens_cf_, keys::kTxnTokenPrefix + token.token,
              keys::EncodeU64(now_ms) + keys::EncodeU64(seq) + token.request_digest);
  MutexLock lock(&token_mu_);
  recent_tokens_[token.token] = std::move(record);
  recent_order_.emplace_back(seq, token.token);
}

namespace {

class ExpiredTokenFilter final : public rocksdb::CompactionFilter {
 public:
  explicit ExpiredTokenFilter(conflict::PhysicalClock* clock) : clock_(clock) {}
  bool Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value, std::string*,
              bool*) const override {
    return value.size() >= 8 &&
           keys::DecodeU64(std::string_view(value.data(), value.size())) + kTransactTokenTtlMs <=
               clock_->NowMillis();
  }
  const char* Name() const override { return "meridian.ExpiredTokenFilter"; }

 private:
  conflict::PhysicalClock* clock_;
};

}  // namespace

std::unique_ptr<rocksdb::CompactionFilter> NewExpiredTokenFilter(conflict::PhysicalClock* clock) {
  return std::make_unique<ExpiredTokenFilter>(clock);
}

}  // namespace meridian::store
