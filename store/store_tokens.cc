// Store: ClientRequestTokens of transactions (DynamoDB: a retry with the same token within
// 10 minutes does nothing and succeeds; the same token with another request is refused).
//
// Every token a committed transaction used is written in the transaction's own commit
// group, in the tokens column family, under "token/<time>/<token>" -> time | last seq |
// request digest. Lookups ignore records older than 10 minutes, and compactions drop them
// (ExpiredTokenFilter), so the column family holds about 10 minutes of tokens.
//
// token_index_ maps the fingerprints of those tokens to their times (filled from the
// column family at Open), so a new token (the AWS SDKs send a fresh one with every
// transaction: thousands a second) costs one in-memory probe. Only a fingerprint hit (a
// retry) reads the record, after writing the open group, which may hold it.
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "store/store.h"
#include "store/store_keys.h"
#include "store/token_index.h"

namespace meridian::store {

Result<Store::TokenRecord> Store::DecodeTokenRecord(std::string_view value) {
  if (value.size() < 16) return Status::Corruption("transaction token record");
  return TokenRecord{keys::DecodeU64(value), std::string(value.substr(16)),
                     keys::DecodeU64(value.substr(8))};
}

Result<std::optional<Store::TokenRecord>> Store::FindToken(const std::string& token,
                                                           uint64_t now_ms) {
  std::optional<uint64_t> used_ms;
  {
    MutexLock lock(&token_mu_);
    used_ms = token_index_->Find(TokenIndex::Fingerprint(token), now_ms);
  }
  if (!used_ms) return std::optional<TokenRecord>();
  // Perhaps a retry: its record may still be in the open group.
  CommitPending();
  {
    MutexLock commit(&commit_mu_);
    if (!failed_.ok()) return failed_;
  }
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), tokens_cf_, keys::TokenKey(*used_ms, token), &value);
  if (s.IsNotFound()) return std::optional<TokenRecord>();  // another token's fingerprint
  if (!s.ok()) return Status::IOError("token: " + s.ToString());
  auto found = DecodeTokenRecord(value);
  if (!found.ok()) return found.status();
  if (found->time_ms + kTransactTokenTtlMs <= now_ms) return std::optional<TokenRecord>();
  return std::optional<TokenRecord>(std::move(found).value());
}

void Store::StageTokenLocked(const TransactToken& token, uint64_t now_ms, uint64_t seq) {
  group_->Put(tokens_cf_, keys::TokenKey(now_ms, token.token),
              keys::EncodeU64(now_ms) + keys::EncodeU64(seq) + token.request_digest);
  MutexLock lock(&token_mu_);
  token_index_->Add(TokenIndex::Fingerprint(token.token), now_ms);
}

Status Store::LoadTokens() {
  auto index = std::make_unique<TokenIndex>(kTransactTokenTtlMs);
  const uint64_t now_ms = options_.clock->NowMillis();
  const uint64_t from_ms = now_ms > kTransactTokenTtlMs ? now_ms - kTransactTokenTtlMs : 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), tokens_cf_));
  // Records of the legacy layout (keyed by token alone) move to the timed one.
  rocksdb::WriteBatch moved;
  const std::string_view legacy = keys::kLegacyTokenPrefix;
  for (it->Seek(legacy); it->Valid() && it->key().starts_with(legacy); it->Next()) {
    moved.Delete(tokens_cf_, it->key());
    auto record = DecodeTokenRecord(std::string_view(it->value().data(), it->value().size()));
    if (!record.ok() || record->time_ms + kTransactTokenTtlMs <= now_ms) continue;
    const std::string_view token(it->key().data() + legacy.size(),
                                 it->key().size() - legacy.size());
    moved.Put(tokens_cf_, keys::TokenKey(record->time_ms, token), it->value());
  }
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  if (moved.Count() > 0) {
    auto s = db_->Write(rocksdb::WriteOptions(), &moved);
    if (!s.ok()) return Status::IOError("token records: " + s.ToString());
    it.reset(db_->NewIterator(rocksdb::ReadOptions(), tokens_cf_));
  }
  // The records of the last 10 minutes; their keys begin with their time.
  const std::string_view prefix = keys::kTokenPrefix;
  constexpr size_t kTimeAndSlash = 9;
  for (it->Seek(keys::kTokenPrefix + keys::EncodeU64(from_ms));
       it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    if (key.size() < prefix.size() + kTimeAndSlash) return Status::Corruption("token key");
    const uint64_t time_ms = keys::DecodeU64(key.substr(prefix.size()));
    index->Add(TokenIndex::Fingerprint(key.substr(prefix.size() + kTimeAndSlash)), time_ms);
  }
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  MutexLock lock(&token_mu_);
  token_index_ = std::move(index);
  return Status::Ok();
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
