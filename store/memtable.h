// The memtable of every column family: a skiplist compiled with this project's flags.
//
// Debian's librocksdb is built without NDEBUG, so RocksDB's own skiplist runs every assert():
// each step of a search compares the key twice more than it needs to. Its inserts were ~30 % of
// a PutItem's instructions (bench/RESULTS.md, session 20). This is the same structure (one
// writer at a time, readers without locks, branching factor 4, at most 12 levels, a splice
// kept from the last insert so keys appended in order cost a few comparisons) in RocksDB's own
// order of internal keys, written against the public MemTableRep interface. One addition: while
// the memtable takes writes (under the bytewise order), the writer keeps every node's 16-byte key
// prefix, address and height in a sorted array cut into chunks of at most 128, so an insert at a
// random key finds its place and the node before it on each of its levels from the prefixes,
// touching only the nodes it links to (in a large memtable each node a walk visits is a cache
// miss). The index costs 24 bytes per entry plus chunk slack and counts in the memtable's size.
#pragma once

#include <memory>

namespace rocksdb {
class MemTableRepFactory;
}

namespace meridian::store {

std::shared_ptr<rocksdb::MemTableRepFactory> NewSkipListMemTableFactory();

}  // namespace meridian::store
