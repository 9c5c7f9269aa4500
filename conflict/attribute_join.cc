// The join of attribute states (attribute_state.h), in place on the left side: the
// replication path merges a received version into the stored one, and most attributes are
// the same on both sides, so the fast paths below leave them untouched.
#include <algorithm>
#include <utility>

#include "conflict/attribute_state.h"

namespace meridian::conflict {
namespace {

// Joins sorted `b` into sorted `a` in place, without allocating unless `a` must grow:
//  - an entry on both sides stays if both(a_entry&, b_entry) says so (it may update it);
//  - an entry only in a stays if keep_a(a_entry);
//  - an entry only in b is copied in if keep_b(b_entry), then adjusted by adopt(copy).
template <typename T, typename Less, typename Both, typename KeepA, typename KeepB, typename Adopt>
void JoinSorted(std::vector<T>& a, const std::vector<T>& b, Less less, Both both, KeepA keep_a,
                KeepB keep_b, Adopt adopt) {
  const size_t n = a.size();
  size_t write = 0;  // compacts the kept entries of a[0, n) to a[0, write)
  auto keep = [&](size_t i) {
    if (write != i) a[write] = std::move(a[i]);
    ++write;
  };
  size_t i = 0, j = 0;
  while (i < n || j < b.size()) {
    if (j == b.size() || (i < n && less(a[i], b[j]))) {
      if (keep_a(a[i])) keep(i);
      ++i;
    } else if (i == n || less(b[j], a[i])) {
      if (keep_b(b[j])) {
        a.push_back(b[j]);  // appended past n; moved down below
        adopt(a.back());
      }
      ++j;
    } else {
      if (both(a[i], b[j])) keep(i);
      ++i;
      ++j;
    }
  }
  const size_t added = a.size() - n;
  for (size_t k = n; k < a.size(); ++k, ++write) {
    if (write != k) a[write] = std::move(a[k]);
  }
  a.resize(write);
  // Usually the copies already land in order (a newer dot, a new region at the end).
  if (added > 0 && !std::is_sorted(a.begin(), a.end(), less)) std::sort(a.begin(), a.end(), less);
}

// The ORSWOT rule on a dot set: keep dots on both sides, and one-sided dots the other side
// has not seen.
void JoinDots(std::vector<Dot>& a, const VersionVector& ctx_a, const std::vector<Dot>& b,
              const VersionVector& ctx_b) {
  JoinSorted(
      a, b, std::less<Dot>(), [](Dot&, const Dot&) { return true; },
      [&](const Dot& x) { return !ctx_b.Covers(x); },
      [&](const Dot& y) { return !ctx_a.Covers(y); }, [](Dot&) {});
}

void JoinRegisters(std::vector<RegisterEntry>& a, const VersionVector& ctx_a,
                   const std::vector<RegisterEntry>& b, const VersionVector& ctx_b) {
  // A dot names one write, so equal dot lists mean equal entries. This is the common case:
  // the attribute was not written on either side since they diverged.
  if (std::equal(a.begin(), a.end(), b.begin(), b.end(),
                 [](const RegisterEntry& x, const RegisterEntry& y) { return x.dot == y.dot; })) {
    return;
  }
  JoinSorted(
      a, b, [](const RegisterEntry& x, const RegisterEntry& y) { return x.dot < y.dot; },
      [](RegisterEntry&, const RegisterEntry&) { return true; },
      [&](const RegisterEntry& x) { return !ctx_b.Covers(x.dot); },
      [&](const RegisterEntry& y) { return !ctx_a.Covers(y.dot); }, [](RegisterEntry&) {});
}

void JoinElements(std::vector<SetElement>& a, const VersionVector& ctx_a,
                  const std::vector<SetElement>& b, const VersionVector& ctx_b) {
  if (std::equal(a.begin(), a.end(), b.begin(), b.end(),
                 [](const SetElement& x, const SetElement& y) {
                   return x.dots == y.dots && !ElementLess(x, y) && !ElementLess(y, x);
                 })) {
    return;
  }
  auto unseen_by = [](const VersionVector& ctx) {
    return [&ctx](const Dot& d) { return !ctx.Covers(d); };
  };
  JoinSorted(
      a, b, ElementLess,
      [&](SetElement& x, const SetElement& y) {
        if (x.dots != y.dots) JoinDots(x.dots, ctx_a, y.dots, ctx_b);
        return !x.dots.empty();
      },
      [&](SetElement& x) {
        std::erase_if(x.dots, [&](const Dot& d) { return ctx_b.Covers(d); });
        return !x.dots.empty();
      },
      [&](const SetElement& y) {
        return std::any_of(y.dots.begin(), y.dots.end(), unseen_by(ctx_a));
      },
      [&](SetElement& copy) {  // keep only the adds a has not seen
        std::erase_if(copy.dots, [&](const Dot& d) { return ctx_a.Covers(d); });
      });
}

// Each half of a counter entry is a register versioned by its own seq: the newer one wins.
void JoinCounterEntry(CounterEntry& x, const CounterEntry& y) {
  if (y.seq > x.seq) {
    x.seq = y.seq;
    x.total = y.total;
  }
  if (y.floor_seq > x.floor_seq) {
    x.floor_seq = y.floor_seq;
    x.floor_total = y.floor_total;
  }
}

void JoinCounters(std::vector<CounterEntry>& a, const std::vector<CounterEntry>& b) {
  JoinSorted(
      a, b, [](const CounterEntry& x, const CounterEntry& y) { return x.region < y.region; },
      [](CounterEntry& x, const CounterEntry& y) {
        JoinCounterEntry(x, y);
        return true;
      },
      [](const CounterEntry&) { return true; }, [](const CounterEntry&) { return true; },
      [](CounterEntry&) {});
}

}  // namespace

void JoinAttributeInto(AttributeState* a, const VersionVector& ctx_a, const AttributeState& b,
                       const VersionVector& ctx_b) {
  JoinRegisters(a->registers, ctx_a, b.registers, ctx_b);
  JoinElements(a->elements, ctx_a, b.elements, ctx_b);
  JoinCounters(a->counters, b.counters);
}

AttributeState JoinAttribute(AttributeState a, const VersionVector& ctx_a, const AttributeState& b,
                             const VersionVector& ctx_b) {
  JoinAttributeInto(&a, ctx_a, b, ctx_b);
  return a;
}

}  // namespace meridian::conflict
