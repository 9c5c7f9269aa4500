// Micro-benchmarks of conflict/: merging two concurrent versions of a 10-attribute item,
// encoding/decoding versions, building local writes. Target: >= 1,000,000 merges/s on one
// core. Run: conflict_bench [--benchmark_filter=Merge]
#include <benchmark/benchmark.h>

#include <time.h>

#include <string>
#include <vector>

#include "conflict/local_write.h"
#include "conflict/merge.h"
#include "conflict/version_codec.h"

namespace meridian::conflict {
namespace {

using model::AttributeValue;
using model::Item;
using model::Number;
using Op = AttributeOp;

Number Num(const char* text) { return *Number::Parse(text); }

// A typical 10-attribute item: key, strings, numbers, a counter, a string set, a map.
Item TenAttributes() {
  return Item{
      {"pk", AttributeValue::S("user#12345")},
      {"name", AttributeValue::S("Ada Lovelace")},
      {"email", AttributeValue::S("ada@example.com")},
      {"age", AttributeValue::N(Num("36"))},
      {"balance", AttributeValue::N(Num("1024.50"))},
      {"views", AttributeValue::N(Num("1000"))},
      {"tags", AttributeValue::SS({"admin", "beta", "early"})},
      {"active", AttributeValue::Bool(true)},
      {"city", AttributeValue::S("London")},
      {"prefs", AttributeValue::M({{"theme", AttributeValue::S("dark")}})},
  };
}

struct Pair {
  ItemVersion local;
  ItemVersion remote;
};

ItemVersion Write(const ItemVersion& v, ConflictPolicy p, const LocalWrite& w, Dot dot,
                  uint64_t ms) {
  return *ApplyLocalWrite(v, p, w, dot, Hlc::FromParts(ms, 0));
}

// The same item everywhere, then one concurrent update in each of two regions (two
// attributes each, one of them a counter increment): the replication layer's merge case.
Pair ConcurrentPair(ConflictPolicy p) {
  const Item key = {{"pk", AttributeValue::S("user#12345")}};
  ItemVersion base = Write({}, p, LocalWrite::Put(TenAttributes()), Dot{1, 100}, 1'700'000'000'000);
  Pair out;
  out.local = Write(base, p,
                    LocalWrite::Update(key, {Op::Set("city", AttributeValue::S("Paris")),
                                             Op::CounterAdd("views", Num("1"))}),
                    Dot{1, 101}, 1'700'000'000'100);
  out.remote = Write(base, p,
                     LocalWrite::Update(key, {Op::SetAdd("tags", AttributeValue::SS({"vip"})),
                                              Op::CounterAdd("views", Num("2"))}),
                     Dot{2, 57}, 1'700'000'000'101);
  return out;
}

// The replication path: the stored version (owned, decoded from RocksDB) absorbs a
// received one in place. Copies of the stored version are made untimed, 64 at a time so
// they stay in cache; the 64 merges are timed by hand with the thread's CPU clock (the
// machine may be shared). One iteration = 64 merges; the rate is items_per_second.
constexpr size_t kBatch = 64;

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void MergeConcurrent(benchmark::State& state, ConflictPolicy p, bool record) {
  const Pair pair = ConcurrentPair(p);
  std::vector<ItemVersion> batch(kBatch);
  MergeOptions options;
  options.record_conflict = record;
  for (auto _ : state) {
    for (ItemVersion& local : batch) local = pair.local;
    const double start = ThreadCpuSeconds();
    for (ItemVersion& local : batch) {
      Result<MergeOutcome> r = MergeRemoteInto(&local, pair.remote, options);
      benchmark::DoNotOptimize(r);
    }
    state.SetIterationTime(ThreadCpuSeconds() - start);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}

void BM_MergeConcurrent_Merge(benchmark::State& s) {
  MergeConcurrent(s, ConflictPolicy::kMerge, false);
}
void BM_MergeConcurrent_MergeWithRecord(benchmark::State& s) {
  MergeConcurrent(s, ConflictPolicy::kMerge, true);
}
void BM_MergeConcurrent_Lww(benchmark::State& s) {
  MergeConcurrent(s, ConflictPolicy::kLww, false);
}
void BM_MergeConcurrent_LwwWithRecord(benchmark::State& s) {
  MergeConcurrent(s, ConflictPolicy::kLww, true);
}
BENCHMARK(BM_MergeConcurrent_Merge)->UseManualTime();
BENCHMARK(BM_MergeConcurrent_MergeWithRecord)->UseManualTime();
BENCHMARK(BM_MergeConcurrent_Lww)->UseManualTime();
BENCHMARK(BM_MergeConcurrent_LwwWithRecord)->UseManualTime();

// Merge from const versions: the copies a caller holding references pays are included.
void BM_JoinFromCopies_Merge(benchmark::State& state) {
  const Pair pair = ConcurrentPair(ConflictPolicy::kMerge);
  for (auto _ : state) {
    Result<ItemVersion> r = Join(pair.local, pair.remote);
    benchmark::DoNotOptimize(r);
  }
  state.counters["merges/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_JoinFromCopies_Merge);

// A re-delivered version: compared and skipped.
void BM_MergeSkipDuplicate_Merge(benchmark::State& state) {
  const Pair pair = ConcurrentPair(ConflictPolicy::kMerge);
  ItemVersion local = pair.local;
  for (auto _ : state) {
    Result<MergeOutcome> r = MergeRemoteInto(&local, pair.local);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_MergeSkipDuplicate_Merge);

void Encode(benchmark::State& state, ConflictPolicy p) {
  const ItemVersion v = *Join(ConcurrentPair(p).local, ConcurrentPair(p).remote);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string s = EncodeItemVersion(v);
    bytes = s.size();
    benchmark::DoNotOptimize(s);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
void Decode(benchmark::State& state, ConflictPolicy p) {
  const std::string s = EncodeItemVersion(*Join(ConcurrentPair(p).local, ConcurrentPair(p).remote));
  for (auto _ : state) {
    Result<ItemVersion> v = DecodeItemVersion(s);
    benchmark::DoNotOptimize(v);
  }
  state.counters["bytes"] = static_cast<double>(s.size());
}
void BM_EncodeVersion_Merge(benchmark::State& s) { Encode(s, ConflictPolicy::kMerge); }
void BM_DecodeVersion_Merge(benchmark::State& s) { Decode(s, ConflictPolicy::kMerge); }
void BM_EncodeVersion_Lww(benchmark::State& s) { Encode(s, ConflictPolicy::kLww); }
void BM_DecodeVersion_Lww(benchmark::State& s) { Decode(s, ConflictPolicy::kLww); }
BENCHMARK(BM_EncodeVersion_Merge);
BENCHMARK(BM_DecodeVersion_Merge);
BENCHMARK(BM_EncodeVersion_Lww);
BENCHMARK(BM_DecodeVersion_Lww);

void BM_Materialize_Merge(benchmark::State& state) {
  const ItemVersion v = *Join(ConcurrentPair(ConflictPolicy::kMerge).local,
                              ConcurrentPair(ConflictPolicy::kMerge).remote);
  for (auto _ : state) {
    Item item = Materialize(v);
    benchmark::DoNotOptimize(item);
  }
}
BENCHMARK(BM_Materialize_Merge);

void LocalUpdate(benchmark::State& state, ConflictPolicy p) {
  const ItemVersion v = ConcurrentPair(p).local;
  const LocalWrite w = LocalWrite::Update(
      {{"pk", AttributeValue::S("user#12345")}},
      {Op::Set("city", AttributeValue::S("Rome")), Op::CounterAdd("views", Num("1"))});
  for (auto _ : state) {
    Result<ItemVersion> out =
        ApplyLocalWrite(v, p, w, Dot{1, 200}, Hlc::FromParts(1'800'000'000'000, 0));
    benchmark::DoNotOptimize(out);
  }
}
void BM_LocalUpdate_Merge(benchmark::State& s) { LocalUpdate(s, ConflictPolicy::kMerge); }
void BM_LocalUpdate_Lww(benchmark::State& s) { LocalUpdate(s, ConflictPolicy::kLww); }
BENCHMARK(BM_LocalUpdate_Merge);
BENCHMARK(BM_LocalUpdate_Lww);

void BM_VersionVectorCompact(benchmark::State& state) {
  const VersionVector v =
      VersionVector::FromEntries({{1, 10'000'000'000}, {2, 9'000'000'000}, {3, 12'345}});
  size_t size = 0;
  for (auto _ : state) {
    std::string bytes = v.EncodeCompact();
    std::string_view in = bytes;
    Result<VersionVector> back = VersionVector::DecodeCompact(&in);
    size = bytes.size();
    benchmark::DoNotOptimize(back);
  }
  state.counters["bytes"] = static_cast<double>(size);
}
BENCHMARK(BM_VersionVectorCompact);

}  // namespace
}  // namespace meridian::conflict

BENCHMARK_MAIN();
