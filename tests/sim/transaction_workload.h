// Transactions across regions: each step is a transaction that writes one fresh value to
// both items of a pair, which live in different partitions (and, for the lww pairs, in
// different tables), at a random region while other regions do the same on the same pairs.
// Invariant, checked at every step in every live region with snapshot reads (what
// TransactGetItems sees): the two items of a pair are both absent or hold the same value,
// so no region ever shows part of a transaction. At the end, every pair holds a value that
// some acknowledged transaction wrote, and (checked by the simulation) every region holds
// the same tables.
#pragma once

#include <memory>

#include "tests/sim/workload.h"

namespace meridian::sim {

std::unique_ptr<Workload> MakeTransactionWorkload();

}  // namespace meridian::sim
