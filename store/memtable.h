// The memtable of every column family: a skiplist compiled with this project's flags.
//
// Debian's librocksdb is built without NDEBUG, so RocksDB's own skiplist runs every assert():
// each step of a search compares the key twice more than it needs to. Its inserts were ~30 % of
// a PutItem's instructions (bench/RESULTS.md, session 20). This is the same structure (one
// writer at a time, readers without locks, branching factor 4, at most 12 levels, a splice
// kept from the last insert so keys appended in order cost a few comparisons) in RocksDB's own
// order of internal keys, written against the public MemTableRep interface. One addition: the
// writer keeps a sorted array of the nodes three or more levels tall (1 in 16), so an insert at
// a random key starts two levels from the bottom instead of walking down from the top; in a
// large memtable every node visited is a cache miss.
#pragma once

#include <memory>

namespace rocksdb {
class MemTableRepFactory;
}

namespace meridian::store {

std::shared_ptr<rocksdb::MemTableRepFactory> NewSkipListMemTableFactory();

}  // namespace meridian::store
