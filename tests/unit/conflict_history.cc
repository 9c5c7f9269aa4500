#include "conflict_history.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>

namespace meridian::conflict::testing {
namespace {

namespace gen = rc::gen;

const char* const kDeltas[] = {"1", "-1", "2.5", "0.001", "100", "-0.5", "1E20", "0", "3", "-7"};
const char* const kNumbers[] = {"0", "10", "-3.25", "7", "1E10"};
const char* const kFullAttrs[] = {"a", "c", "s", "t"};

Number Delta(uint8_t v) { return Num(kDeltas[v % 10]); }

// A non-empty subset of {p, q, r} (or {1, 2, 3}) picked by v.
AttributeValue SetOperand(uint8_t v, bool numbers) {
  const int mask = v % 7 + 1;
  std::vector<std::string> members;
  for (int bit = 0; bit < 3; ++bit) {
    if (mask & (1 << bit))
      members.push_back(numbers ? std::to_string(bit + 1) : std::string(1, 'p' + bit));
  }
  return numbers ? NS(members) : SS(members);
}

AttributeValue AnyValue(uint8_t v) {
  switch (v % 10) {
    case 0: return S("x");
    case 1: return S("y");
    case 2: return N("1");
    case 3: return N("2.5");
    case 4: return SS({"p"});
    case 5: return SS({"p", "q"});
    case 6: return NS({"1", "2"});
    case 7: return AttributeValue::M({{"k", S("v")}});
    case 8: return AttributeValue::Bool(true);
    default: return AttributeValue::L({N("1"), S("z")});
  }
}

AttributeOp FullOp(const OpSpec& o) {
  const std::string name = kFullAttrs[o.attr % 4];
  const uint8_t k = o.kind % 8;
  if (k == 0) return AttributeOp::Set(name, AnyValue(o.value));
  if (k == 1) return AttributeOp::Remove(name);
  if (k <= 4) {  // the op that suits the attribute
    if (name == "c") return AttributeOp::CounterAdd(name, Delta(o.value));
    if (name == "s" || name == "t") {
      AttributeValue operand = SetOperand(o.value, name == "t");
      return o.value % 2 ? AttributeOp::SetAdd(name, operand)
                         : AttributeOp::SetRemove(name, operand);
    }
    return AttributeOp::Set(name, AnyValue(o.value));
  }
  switch (o.value % 4) {  // anything goes: type conflicts on purpose
    case 0: return AttributeOp::CounterAdd(name, Delta(o.value / 4));
    case 1: return AttributeOp::SetAdd(name, SetOperand(o.value / 4, o.kind % 2));
    case 2: return AttributeOp::SetRemove(name, SetOperand(o.value / 4, o.kind % 2));
    default: return AttributeOp::Set(name, AnyValue(o.value / 4));
  }
}

AttributeOp ProfileOp(const OpSpec& o, Profile profile, const Item& visible) {
  switch (profile) {
    case Profile::kFull: return FullOp(o);
    case Profile::kMixed: {  // one attribute, few values: type and member conflicts collide
      // Set ops mostly match the set the writer sees, so fewer of them are rejected.
      auto it = visible.find("a");
      const bool numbers = it != visible.end() && it->second.is_set() && o.kind % 5 != 0
                               ? it->second.type() == model::AttrType::kNS
                               : (o.kind / 6) % 2;
      switch (o.kind % 6) {
        case 0: {
          const AttributeValue values[] = {SS({"p", "q"}), NS({"1", "2"}), S("x"), N("1")};
          return AttributeOp::Set("a", values[o.value % 4 < 2 ? (numbers ? 1 : 0) : o.value % 4]);
        }
        case 1: return AttributeOp::Remove("a");
        case 2: return AttributeOp::CounterAdd("a", Delta(o.value));
        case 3: return AttributeOp::SetAdd("a", SetOperand(o.value % 3, numbers));
        default: return AttributeOp::SetRemove("a", SetOperand(o.value % 2, numbers));
      }
    }
    case Profile::kCounters:
      if (o.kind % 10 == 0) return AttributeOp::Set("c", N(kNumbers[o.value % 5]));
      if (o.kind % 10 == 1) return AttributeOp::Remove("c");
      return AttributeOp::CounterAdd("c", Delta(o.value));
    case Profile::kIncrements:
      return AttributeOp::CounterAdd(o.attr % 2 ? "d" : "c", Delta(o.value));
    case Profile::kSets:
      if (o.kind % 10 == 0) return AttributeOp::Set("s", SetOperand(o.value, false));
      if (o.kind % 10 == 1) return AttributeOp::Remove("s");
      if (o.kind % 10 <= 5) return AttributeOp::SetRemove("s", SetOperand(o.value, false));
      return AttributeOp::SetAdd("s", SetOperand(o.value, false));
  }
  return AttributeOp::Remove("a");
}

LocalWrite BuildWrite(const StepSpec& step, Profile profile, const Item& visible) {
  const int wk = step.write_kind % 12;
  const bool can_put_delete = profile != Profile::kIncrements;
  if (can_put_delete && wk == 0) return LocalWrite::Delete();
  if (can_put_delete && wk <= (profile == Profile::kFull ? 2 : 1)) {
    Item item = TestKey();
    for (const OpSpec& o : step.ops) {
      AttributeOp op = ProfileOp(o, profile, visible);
      // A Put writes every attribute whole: sets, numbers (no counter) and sets alike.
      if (op.kind != AttributeOp::Kind::kRemove) item.insert_or_assign(op.name, op.value);
    }
    return LocalWrite::Put(std::move(item));
  }
  std::vector<AttributeOp> ops;
  std::set<std::string> used;
  for (const OpSpec& o : step.ops) {
    AttributeOp op = ProfileOp(o, profile, visible);
    if (used.insert(op.name).second) ops.push_back(std::move(op));
  }
  return LocalWrite::Update(TestKey(), std::move(ops));
}

uint64_t ClockStep(uint8_t c) {
  switch (c % 4) {
    case 0: return 0;  // same millisecond: logical counters and region tie-breaks
    case 1: return 1;
    case 2: return c % 7;
    default: return c > 250 ? 300 : 2;
  }
}

// Writes of `attr` that replace its whole value (SET / PutItem with it) -> value.
std::optional<AttributeValue> WrittenValue(const LocalWrite& w, const std::string& attr) {
  if (w.kind == LocalWrite::Kind::kPut) {
    auto it = w.item.find(attr);
    if (it != w.item.end()) return it->second;
    return std::nullopt;
  }
  if (w.kind == LocalWrite::Kind::kUpdate) {
    for (const AttributeOp& op : w.ops) {
      if (op.name == attr && op.kind == AttributeOp::Kind::kSet) return op.value;
    }
  }
  return std::nullopt;
}

// Writes that replace or remove the whole attribute (and so drop what they saw of it).
bool ResetsAttribute(const LocalWrite& w, const std::string& attr) {
  if (w.kind != LocalWrite::Kind::kUpdate) return true;  // PutItem, DeleteItem
  for (const AttributeOp& op : w.ops) {
    if (op.name == attr &&
        (op.kind == AttributeOp::Kind::kSet || op.kind == AttributeOp::Kind::kRemove)) {
      return true;
    }
  }
  return false;
}

const AttributeOp* FindOp(const LocalWrite& w, const std::string& attr, AttributeOp::Kind kind) {
  if (w.kind != LocalWrite::Kind::kUpdate) return nullptr;
  for (const AttributeOp& op : w.ops) {
    if (op.name == attr && op.kind == kind) return &op;
  }
  return nullptr;
}

// True when some event other than `self` matching `removes` had seen `self`'s write.
template <typename Pred>
bool SeenBy(const std::vector<WriteEvent>& events, size_t self, Pred removes) {
  for (size_t k = 0; k < events.size(); ++k) {
    if (k != self && removes(events[k]) && events[k].observed.Covers(events[self].result.dot)) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const OpSpec& op) {
  return os << "op(" << int(op.attr) << "," << int(op.kind) << "," << int(op.value) << ")";
}

std::ostream& operator<<(std::ostream& os, const StepSpec& s) {
  os << "step(a=" << int(s.action) << " r=" << int(s.replica) << " pick=" << s.pick
     << " wk=" << int(s.write_kind) << " clock=" << int(s.clock) << " gap=" << int(s.gap) << " [";
  for (const OpSpec& o : s.ops) os << o << " ";
  return os << "])";
}

rc::Gen<StepSpec> GenStep() {
  auto op = gen::apply(
      [](uint8_t a, uint8_t k, uint8_t v) {
        return OpSpec{a, k, v};
      },
      gen::inRange<uint8_t>(0, 255), gen::inRange<uint8_t>(0, 255), gen::inRange<uint8_t>(0, 255));
  auto ops = gen::mapcat(gen::inRange(1, 4), [op](int n) {
    return gen::container<std::vector<OpSpec>>(static_cast<size_t>(n), op);
  });
  return gen::apply(
      [](uint8_t action, uint8_t replica, uint16_t pick, uint8_t wk, std::vector<OpSpec> o,
         uint8_t clock,
         uint8_t gap) { return StepSpec{action, replica, pick, wk, std::move(o), clock, gap}; },
      gen::inRange<uint8_t>(0, 10), gen::inRange<uint8_t>(0, 255), gen::inRange<uint16_t>(0, 65535),
      gen::inRange<uint8_t>(0, 255), ops, gen::inRange<uint8_t>(0, 255),
      gen::inRange<uint8_t>(0, 255));
}

History DrawHistory(int max_steps, int min_replicas, int max_replicas) {
  History h;
  h.replicas = *gen::inRange(min_replicas, max_replicas + 1);
  for (int r = 0; r < h.replicas; ++r) {
    const int raw = *gen::inRange(0, 40);
    h.offsets_ms.push_back(raw == 39 ? 400 : raw % 4);  // now and then a clock far ahead
  }
  const int count = *gen::inRange(4, max_steps + 1);
  h.steps = *gen::container<std::vector<StepSpec>>(static_cast<size_t>(count), GenStep());
  h.order_seed = *gen::arbitrary<uint64_t>();
  return h;
}

void RunHistory(const History& history, Profile profile, Cluster* cluster) {
  const int n = cluster->size();
  for (const StepSpec& step : history.steps) {
    cluster->AdvanceTime(ClockStep(step.clock));
    const int r = step.replica % n;
    if (step.action < 5) {
      const Item visible = Materialize(cluster->replica(r));
      (void)cluster->Write(r, BuildWrite(step, profile, visible), step.gap % 4 == 3 ? 5 : 0);
    } else if (step.action < 8 || cluster->snapshots().empty()) {
      cluster->DeliverCurrent((r + 1 + step.pick % (n - 1)) % n, r);  // another replica's latest
    } else {
      cluster->Deliver(step.pick % cluster->snapshots().size(), r);  // stale or repeated
    }
  }
}

std::optional<AttributeValue> ReferenceCounter(const std::vector<WriteEvent>& events,
                                               const std::string& attr) {
  const WriteEvent* winner = nullptr;
  std::optional<Number> increments;
  for (size_t k = 0; k < events.size(); ++k) {
    const WriteEvent& e = events[k];
    const bool seen_by_reset =
        SeenBy(events, k, [&](const WriteEvent& r) { return ResetsAttribute(r.write, attr); });
    if (seen_by_reset) continue;
    if (WrittenValue(e.write, attr) &&
        (winner == nullptr ||
         std::tie(e.result.hlc, e.result.dot) > std::tie(winner->result.hlc, winner->result.dot))) {
      winner = &e;
    }
    if (const AttributeOp* add = FindOp(e.write, attr, AttributeOp::Kind::kCounterAdd)) {
      Result<Number> sum = increments.value_or(Number()).Add(add->value.n());
      EXPECT_TRUE(sum.ok());
      increments = *sum;
    }
  }
  if (winner == nullptr) {
    if (!increments) return std::nullopt;
    return AttributeValue::N(*increments);
  }
  AttributeValue base = *WrittenValue(winner->write, attr);
  if (!increments) return base;
  Result<Number> sum = base.n().Add(*increments);
  EXPECT_TRUE(sum.ok());
  return AttributeValue::N(*sum);
}

std::optional<AttributeValue> ReferenceOrSet(const std::vector<WriteEvent>& events,
                                             const std::string& attr) {
  std::set<std::string> present;
  for (size_t k = 0; k < events.size(); ++k) {
    std::vector<std::string> added;
    if (std::optional<AttributeValue> v = WrittenValue(events[k].write, attr)) {
      added = v->ss();
    } else if (const AttributeOp* op = FindOp(events[k].write, attr, AttributeOp::Kind::kSetAdd)) {
      added = op->value.ss();
    }
    for (const std::string& member : added) {
      const bool removed = SeenBy(events, k, [&](const WriteEvent& r) {
        if (ResetsAttribute(r.write, attr)) return true;
        const AttributeOp* del = FindOp(r.write, attr, AttributeOp::Kind::kSetRemove);
        return del != nullptr &&
               std::binary_search(del->value.ss().begin(), del->value.ss().end(), member);
      });
      if (!removed) present.insert(member);
    }
  }
  if (present.empty()) return std::nullopt;
  return SS(std::vector<std::string>(present.begin(), present.end()));
}

Item ReferenceLww(const std::vector<WriteEvent>& events) {
  const WriteEvent* winner = nullptr;
  for (const WriteEvent& e : events) {
    if (winner == nullptr ||
        std::tie(e.result.hlc, e.result.dot) > std::tie(winner->result.hlc, winner->result.dot)) {
      winner = &e;
    }
  }
  return winner == nullptr ? Item() : Materialize(winner->result);
}

}  // namespace meridian::conflict::testing
