// A skiplist MemTableRep (see memtable.h). The layout follows RocksDB's InlineSkipList: a node
// is one arena allocation holding its links, level 0 last, then the entry RocksDB encodes into
// it (varint32 length, internal key = user key + 8-byte trailer, value). A node's address is
// that of its level-0 link; the link of level i lies i pointers before it.
#include "store/memtable.h"

#include <rocksdb/memtablerep.h>
#include <rocksdb/slice.h>
#include <rocksdb/version.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <compare>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <new>
#include <string>
#include <typeinfo>
#include <vector>

#include "common/check.h"

#if ROCKSDB_MAJOR != 7 || ROCKSDB_MINOR != 8
#error "store/memtable.cc declares RocksDB 7.8's Allocator: check memory/allocator.h, then widen"
#endif

namespace rocksdb {
// RocksDB 7.8's memory/allocator.h, which Debian does not install, token for token: the
// interface of the memtable's arena and of the arena RocksDB passes to GetIterator (Arena and
// ConcurrentArena derive from it alone; each use checks the dynamic type first).
// memtable_test.cc runs both through a database.
class Allocator {
 public:
  virtual ~Allocator() {}

  virtual char* Allocate(size_t bytes) = 0;
  virtual char* AllocateAligned(size_t bytes, size_t huge_page_size = 0,
                                Logger* logger = nullptr) = 0;

  virtual size_t BlockSize() const = 0;
};
}  // namespace rocksdb

namespace meridian::store {
namespace {

static_assert(std::endian::native == std::endian::little, "RocksDB's fixed64 is little-endian");

// Whether `allocator` is of RocksDB's class `mangled` (typeid reads it from the vtable, which
// any polymorphic class has where this declaration expects it).
bool IsA(rocksdb::Allocator* allocator, const char* mangled) {
  return std::strcmp(typeid(*allocator).name(), mangled) == 0;
}

rocksdb::Allocator* MemtableArena(rocksdb::Allocator* allocator) {
  MERIDIAN_CHECK(IsA(allocator, "N7rocksdb15ConcurrentArenaE"));
  return allocator;
}

constexpr int kMaxHeight = 12;
constexpr uint64_t kBranching = 4;
// The writer's index of every node (see SkipList::IndexEntry) is a sorted array cut into chunks
// of at most this many entries: an insert moves at most one chunk's tail (3 KB).
constexpr size_t kChunkMax = 128;

using Link = std::atomic<struct Node*>;

struct Node {
  Link& LinkAt(int level) {
    return *reinterpret_cast<Link*>(reinterpret_cast<char*>(this) -
                                    static_cast<ptrdiff_t>(level) * sizeof(Link));
  }
  Node* Next(int level) { return LinkAt(level).load(std::memory_order_acquire); }
  // The entry, right after the level-0 link.
  const char* Entry() const { return reinterpret_cast<const char*>(this) + sizeof(Link); }
};

// The internal key of an encoded entry (after its varint32 length).
rocksdb::Slice EntryKey(const char* entry) {
  const auto first = static_cast<uint8_t>(*entry);
  if (first < 128) return rocksdb::Slice(entry + 1, first);
  return rocksdb::GetLengthPrefixedSlice(entry);
}

// The memtable's order of internal keys (MemTable::KeyComparator, InternalKeyComparator::
// CompareKeySeq) under the bytewise comparator: user keys ascending, then sequence numbers
// descending; the type byte of the trailer (sequence number << 8 | type) does not count.
int CompareInternalKeys(const rocksdb::Slice& a, const rocksdb::Slice& b) {
  const size_t a_user = a.size() - 8;
  const size_t b_user = b.size() - 8;
  const int bytes = std::memcmp(a.data(), b.data(), a_user < b_user ? a_user : b_user);
  if (bytes != 0) return bytes;
  if (a_user != b_user) return a_user < b_user ? -1 : 1;
  uint64_t a_trailer;
  uint64_t b_trailer;
  std::memcpy(&a_trailer, a.data() + a_user, 8);
  std::memcpy(&b_trailer, b.data() + b_user, 8);
  a_trailer >>= 8;
  b_trailer >>= 8;
  if (a_trailer == b_trailer) return 0;
  return a_trailer > b_trailer ? -1 : 1;
}

// The first 16 bytes of an internal key's user key, zero-padded, as two big-endian numbers: if
// two keys' prefixes differ, their user keys are in the prefixes' order (a padded zero sorts a
// proper prefix first); equal prefixes say nothing.
struct KeyPrefix {
  uint64_t high = 0;
  uint64_t low = 0;
  auto operator<=>(const KeyPrefix&) const = default;
};

KeyPrefix PrefixOf(const rocksdb::Slice& internal_key) {
  unsigned char bytes[16] = {};
  std::memcpy(bytes, internal_key.data(), std::min<size_t>(internal_key.size() - 8, 16));
  KeyPrefix prefix;
  std::memcpy(&prefix.high, bytes, 8);
  std::memcpy(&prefix.low, bytes + 8, 8);
  prefix.high = __builtin_bswap64(prefix.high);
  prefix.low = __builtin_bswap64(prefix.low);
  return prefix;
}

int Sign(int v) { return (v > 0) - (v < 0); }

// Whether `cmp` orders entries as CompareInternalKeys does (the column family has the
// bytewise comparator), checked on a few entries that differ in every way that matters.
bool OrdersBytewise(const rocksdb::MemTableRep::KeyComparator& cmp) {
  struct Sample {
    const char* user;
    uint64_t seq;
    uint8_t type;
  };
  const Sample samples[] = {{"", 3, 1},   {"a", 7, 1}, {"a", 7, 0},   {"a", 2, 1},
                            {"ab", 1, 1}, {"b", 9, 1}, {"\xff", 1, 1}};
  std::string entries[std::size(samples)];
  for (size_t i = 0; i < std::size(samples); ++i) {
    const size_t user = std::strlen(samples[i].user);
    entries[i].push_back(static_cast<char>(user + 8));
    entries[i].append(samples[i].user, user);
    const uint64_t trailer = samples[i].seq << 8 | samples[i].type;
    entries[i].append(reinterpret_cast<const char*>(&trailer), 8);
    entries[i].push_back('\0');  // empty value
  }
  for (const auto& a : entries) {
    for (const auto& b : entries) {
      const int expected = Sign(CompareInternalKeys(EntryKey(a.data()), EntryKey(b.data())));
      if (Sign(cmp(a.data(), b.data())) != expected) return false;
      if (Sign(cmp(a.data(), EntryKey(b.data()))) != expected) return false;
    }
  }
  return true;
}

class SkipList final : public rocksdb::MemTableRep {
 public:
  SkipList(const KeyComparator& cmp, rocksdb::Allocator* allocator)
      : MemTableRep(MemtableArena(allocator)),
        cmp_(cmp),
        bytewise_(OrdersBytewise(cmp)),
        head_(NewNode(kMaxHeight, 0)),
        indexing_(bytewise_) {
    for (int i = 0; i < kMaxHeight; ++i) {
      head_->LinkAt(i).store(nullptr, std::memory_order_relaxed);
      prev_[i] = head_;
      next_[i] = nullptr;
    }
  }

  rocksdb::KeyHandle Allocate(const size_t len, char** buf) override {
    const int height = RandomHeight();
    Node* node = NewNode(height, len);
    // Until the node is linked, its level-0 link holds its height (as InlineSkipList does).
    const auto stashed = static_cast<uintptr_t>(height);
    node->LinkAt(0).store(reinterpret_cast<Node*>(stashed),  // NOLINT(performance-no-int-to-ptr)
                          std::memory_order_relaxed);
    *buf = const_cast<char*>(node->Entry());
    return node;
  }

  void Insert(rocksdb::KeyHandle handle) override { InsertKey(handle); }

  // One writer at a time (allow_concurrent_memtable_write is off); readers run alongside: a
  // node's links are set before a release store publishes it on each level.
  bool InsertKey(rocksdb::KeyHandle handle) override {
    auto* node = static_cast<Node*>(handle);
    const int height = static_cast<int>(
        reinterpret_cast<uintptr_t>(node->LinkAt(0).load(std::memory_order_relaxed)));
    const rocksdb::Slice key = EntryKey(node->Entry());
    const int max_height = max_height_.load(std::memory_order_relaxed);
    const bool indexed = indexing_;
    const KeyPrefix prefix = indexed ? PrefixOf(key) : KeyPrefix{};
    // The splice brackets the gap after the last insert; levels from splice_height_ up are
    // stale. A key in that gap (an append to the change log, the next of a sorted run that falls
    // in the same gap) links there. next_prefix_ spares the touch of the node after the gap.
    bool in_gap =
        height <= splice_height_ && (prev_[0] == head_ || Compare(prev_[0]->Entry(), key) < 0);
    if (in_gap && next_[0] != nullptr) {
      in_gap = indexed && next_prefix_ != prefix ? prefix < next_prefix_
                                                 : Compare(next_[0]->Entry(), key) > 0;
    }
    IndexPosition at{};
    if (indexed) {
      // A key elsewhere: the index gives the node before it on every level it will be on
      // without a walk that misses the cache on every node it visits.
      at = next_[0] == nullptr && in_gap ? IndexEnd() : IndexLowerBound(key, prefix);
      if (!in_gap) {
        const IndexEntry* after = IndexAt(at);
        if (after != nullptr && after->prefix == prefix &&
            Compare(after->node()->Entry(), key) == 0) {
          return false;
        }
        PrevsFromIndex(at, height);
        for (int l = 0; l < height; ++l) next_[l] = prev_[l]->Next(l);
        next_prefix_ = after == nullptr ? KeyPrefix{} : after->prefix;
        splice_height_ = height;
      }
    } else if (!in_gap) {
      Node* before = head_;
      for (int l = max_height - 1; l >= 0; --l) {
        before = WalkLevel(before, l, key, &next_[l]);
        prev_[l] = before;
      }
      for (int l = max_height; l < kMaxHeight; ++l) {
        prev_[l] = head_;
        next_[l] = nullptr;
      }
      splice_height_ = kMaxHeight;
      if (next_[0] != nullptr && Compare(next_[0]->Entry(), key) == 0) return false;
    }
    if (height > max_height) max_height_.store(height, std::memory_order_relaxed);
    for (int l = 0; l < height; ++l) {
      node->LinkAt(l).store(next_[l], std::memory_order_relaxed);
      prev_[l]->LinkAt(l).store(node, std::memory_order_release);
      prev_[l] = node;  // the splice now brackets the gap after this node
    }
    if (indexed) IndexInsert(at, prefix, node, height);
    return true;
  }

  // After the memtable stops taking writes the index has no use (an insert after this would
  // search from the top).
  void MarkReadOnly() override { StopIndexing(); }

  bool Contains(const char* entry) const override {
    const rocksdb::Slice key = EntryKey(entry);
    Node* node = FindGreaterOrEqual(key);
    return node != nullptr && Compare(node->Entry(), key) == 0;
  }

  // The arena holds all but the index: its usage is counted by the memtable already. (Any
  // thread may ask, while the writer grows the index.)
  size_t ApproximateMemoryUsage() override { return index_bytes_.load(std::memory_order_relaxed); }

  uint64_t ApproximateNumEntries(const rocksdb::Slice& start_ikey,
                                 const rocksdb::Slice& end_ikey) override {
    const uint64_t start = EstimateCount(start_ikey);
    const uint64_t end = EstimateCount(end_ikey);
    return end >= start ? end - start : 0;
  }

  class Iter final : public rocksdb::MemTableRep::Iterator {
   public:
    explicit Iter(const SkipList* list) : list_(list) {}
    bool Valid() const override { return node_ != nullptr; }
    const char* key() const override { return node_->Entry(); }
    void Next() override { node_ = node_->Next(0); }
    void Prev() override { node_ = list_->FindLessThan(EntryKey(node_->Entry())); }
    void Seek(const rocksdb::Slice& internal_key, const char* /*memtable_key*/) override {
      node_ = list_->FindGreaterOrEqual(internal_key);
    }
    void SeekForPrev(const rocksdb::Slice& internal_key, const char* memtable_key) override {
      Seek(internal_key, memtable_key);
      if (node_ == nullptr) SeekToLast();
      while (node_ != nullptr && list_->Compare(node_->Entry(), internal_key) > 0) Prev();
    }
    void SeekToFirst() override { node_ = list_->head_->Next(0); }
    void SeekToLast() override { node_ = list_->FindLessThan(rocksdb::Slice()); }

   private:
    const SkipList* list_;
    Node* node_ = nullptr;
  };

  Iterator* GetIterator(rocksdb::Arena* arena) override {
    if (arena == nullptr) return new Iter(this);  // RocksDB deletes it
    // RocksDB only destroys an iterator it placed in an arena: it must come from the arena.
    auto* allocator = reinterpret_cast<rocksdb::Allocator*>(arena);
    MERIDIAN_CHECK(IsA(allocator, "N7rocksdb5ArenaE"));
    return new (allocator->AllocateAligned(sizeof(Iter))) Iter(this);
  }

 private:
  int Compare(const char* entry, const rocksdb::Slice& key) const {
    return bytewise_ ? CompareInternalKeys(EntryKey(entry), key) : cmp_(entry, key);
  }

  Node* NewNode(int height, size_t entry_bytes) {
    const size_t links = sizeof(Link) * static_cast<size_t>(height);
    char* raw = allocator_->AllocateAligned(links + entry_bytes);
    auto* node = reinterpret_cast<Node*>(raw + links - sizeof(Link));
    for (int level = 0; level < height; ++level) new (&node->LinkAt(level)) Link(nullptr);
    return node;
  }

  int RandomHeight() {
    // xorshift64*: one writer at a time draws heights.
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    uint64_t bits = rng_ * 0x2545F4914F6CDD1DULL;
    int height = 1;
    while (height < kMaxHeight && bits % kBranching == 0) {
      ++height;
      bits /= kBranching;
    }
    return height;
  }

  // An entry of the writer's index of every node: the node's 16-byte key prefix, its address
  // and, in the address's top byte (user-space addresses leave it zero), its height.
  struct IndexEntry {
    KeyPrefix prefix;
    uintptr_t bits;
    static IndexEntry Of(const KeyPrefix& prefix, Node* node, int height) {
      return {prefix, reinterpret_cast<uintptr_t>(node) | static_cast<uintptr_t>(height) << 56};
    }
    Node* node() const {
      return reinterpret_cast<Node*>(bits & ((uintptr_t{1} << 56) - 1));  // NOLINT
    }
    int height() const { return static_cast<int>(bits >> 56); }
  };
  // An entry's place: chunk, offset in it (the chunk's size: after its last entry).
  struct IndexPosition {
    size_t chunk = 0;
    size_t offset = 0;
  };

  bool IndexBefore(const IndexEntry& e, const rocksdb::Slice& key, const KeyPrefix& prefix) const {
    if (e.prefix != prefix) return e.prefix < prefix;
    return Compare(e.node()->Entry(), key) < 0;
  }

  IndexPosition IndexEnd() const {
    return chunks_.empty() ? IndexPosition{}
                           : IndexPosition{chunks_.size() - 1, chunks_.back().size()};
  }

  // The place of the first entry not before `key`.
  IndexPosition IndexLowerBound(const rocksdb::Slice& key, const KeyPrefix& prefix) const {
    const auto before = [&](const IndexEntry& e) { return IndexBefore(e, key, prefix); };
    const auto chunk = std::partition_point(firsts_.begin(), firsts_.end(), before);
    if (chunk == firsts_.begin()) return {};
    const auto c = static_cast<size_t>(chunk - firsts_.begin()) - 1;
    const auto& entries = chunks_[c];
    return {c,
            static_cast<size_t>(std::partition_point(entries.begin() + 1, entries.end(), before) -
                                entries.begin())};
  }

  // The entry at `at`, nullptr at the end.
  const IndexEntry* IndexAt(IndexPosition at) const {
    if (at.chunk >= chunks_.size()) return nullptr;
    if (at.offset < chunks_[at.chunk].size()) return &chunks_[at.chunk][at.offset];
    return at.chunk + 1 < chunks_.size() ? &chunks_[at.chunk + 1].front() : nullptr;
  }

  // Sets prev_[0, height) to the nodes before `at` on each level (head_ where none): the last
  // entry before it at least that tall. (Scanning back ~kBranching^level entries for a level is
  // needed once in kBranching^level inserts.)
  void PrevsFromIndex(IndexPosition at, int height) {
    int level = 0;
    while (level < height) {
      if (at.offset == 0) {
        if (at.chunk == 0) break;
        at.offset = chunks_[--at.chunk].size();
      }
      const IndexEntry& e = chunks_[at.chunk][--at.offset];
      for (const int tall = e.height(); level < height && level < tall; ++level) {
        prev_[level] = e.node();
      }
    }
    for (; level < height; ++level) prev_[level] = head_;
  }

  // Drops the index; inserts from here on search the skiplist.
  void StopIndexing() {
    indexing_ = false;
    chunks_.clear();
    chunks_.shrink_to_fit();
    firsts_.clear();
    firsts_.shrink_to_fit();
    index_bytes_.store(0, std::memory_order_relaxed);
  }

  void IndexInsert(IndexPosition at, const KeyPrefix& prefix, Node* node, int height) {
    if (reinterpret_cast<uintptr_t>(node) >> 56 != 0) {
      return StopIndexing();  // an address an entry cannot hold: no index from here on
    }
    const IndexEntry entry = IndexEntry::Of(prefix, node, height);
    if (chunks_.empty()) {
      chunks_.emplace_back();
      firsts_.emplace_back();
    }
    auto& entries = chunks_[at.chunk];
    const size_t capacity = entries.capacity();
    entries.insert(entries.begin() + static_cast<ptrdiff_t>(at.offset), entry);
    if (at.offset == 0) firsts_[at.chunk] = entry;
    if (entries.size() > kChunkMax) {
      std::vector<IndexEntry> upper(entries.begin() + kChunkMax / 2, entries.end());
      entries.resize(kChunkMax / 2);
      upper.reserve(kChunkMax + 1);
      firsts_.insert(firsts_.begin() + static_cast<ptrdiff_t>(at.chunk) + 1, upper.front());
      chunks_.insert(chunks_.begin() + static_cast<ptrdiff_t>(at.chunk) + 1, std::move(upper));
      index_bytes_.fetch_add((kChunkMax + 1) * sizeof(IndexEntry), std::memory_order_relaxed);
    }
    const size_t grown = chunks_[at.chunk].capacity() - capacity;
    if (grown != 0) index_bytes_.fetch_add(grown * sizeof(IndexEntry), std::memory_order_relaxed);
  }

  // Walks `level` from `before` to the last node before `key` (to the level's last node when
  // `key` is empty) and returns it, its successor in *next; adds the steps taken to *steps.
  Node* WalkLevel(Node* before, int level, const rocksdb::Slice& key, Node** next,
                  uint64_t* steps = nullptr) const {
    Node* after = before->Next(level);
    while (after != nullptr) {
      // The node after that: its cache miss overlaps with this comparison's.
      __builtin_prefetch(after->LinkAt(level).load(std::memory_order_relaxed));
      if (!key.empty() && Compare(after->Entry(), key) >= 0) break;
      before = after;
      after = before->Next(level);
      if (steps != nullptr) ++*steps;
    }
    *next = after;
    return before;
  }

  Node* FindGreaterOrEqual(const rocksdb::Slice& key) const {
    Node* before = head_;
    Node* next = nullptr;
    for (int level = max_height_.load(std::memory_order_relaxed) - 1; level >= 0; --level) {
      before = WalkLevel(before, level, key, &next);
    }
    return next;
  }

  // The last node before `key` (the last node when `key` is empty), or nullptr if none.
  Node* FindLessThan(const rocksdb::Slice& key) const {
    Node* before = head_;
    Node* next = nullptr;
    for (int level = max_height_.load(std::memory_order_relaxed) - 1; level >= 0; --level) {
      before = WalkLevel(before, level, key, &next);
    }
    return before == head_ ? nullptr : before;
  }

  // About how many entries precede `key` (RocksDB's estimate: steps scaled per level).
  uint64_t EstimateCount(const rocksdb::Slice& key) const {
    uint64_t count = 0;
    Node* before = head_;
    Node* next = nullptr;
    for (int level = max_height_.load(std::memory_order_relaxed) - 1; level >= 0; --level) {
      count *= kBranching;
      before = WalkLevel(before, level, key, &next, &count);
    }
    return count;
  }

  const KeyComparator& cmp_;
  const bool bytewise_;
  Node* const head_;
  std::atomic<int> max_height_{1};
  // The writer's state.
  uint64_t rng_ = 0x9E3779B97F4A7C15ULL;
  Node* prev_[kMaxHeight];  // the splice: around the gap after the last inserted node
  Node* next_[kMaxHeight];
  int splice_height_ = kMaxHeight;  // the levels of the splice that are current
  KeyPrefix next_prefix_;           // next_[0]'s, when indexing
  // The writer's index of every node in key order, in chunks (firsts_: each one's first entry),
  // kept while the memtable takes writes under the bytewise order (its prefixes are that order).
  bool indexing_;
  std::vector<std::vector<IndexEntry>> chunks_;
  std::vector<IndexEntry> firsts_;
  std::atomic<size_t> index_bytes_{0};
};

class SkipListFactory final : public rocksdb::MemTableRepFactory {
 public:
  const char* Name() const override { return "MeridianSkipListFactory"; }
  using MemTableRepFactory::CreateMemTableRep;
  rocksdb::MemTableRep* CreateMemTableRep(const rocksdb::MemTableRep::KeyComparator& cmp,
                                          rocksdb::Allocator* allocator,
                                          const rocksdb::SliceTransform* /*prefix*/,
                                          rocksdb::Logger* /*logger*/) override {
    return new SkipList(cmp, allocator);
  }
  // An entry equal to one present (same key and sequence number) is refused, not added.
  bool CanHandleDuplicatedKey() const override { return true; }
};

}  // namespace

std::shared_ptr<rocksdb::MemTableRepFactory> NewSkipListMemTableFactory() {
  return std::make_shared<SkipListFactory>();
}

}  // namespace meridian::store
