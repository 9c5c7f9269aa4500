#include "conflict_test_util.h"
namespace meridian::conflict::testing {
TEST(Directed, Hidden) {
  Cluster c(3, ConflictPolicy::kMerge);
  ASSERT_TRUE(c.Write(0, LocalWrite::Update(TestKey(), {AttributeOp::Set("a", SS({"p","q"}))})).ok());
  c.DeliverCurrent(0, 1);
  ASSERT_TRUE(c.Write(0, LocalWrite::Update(TestKey(), {AttributeOp::SetRemove("a", SS({"p"}))})).ok());
  ASSERT_TRUE(c.Write(1, LocalWrite::Update(TestKey(), {AttributeOp::SetRemove("a", SS({"q"}))})).ok());
  c.DeliverCurrent(1, 0);
  std::cerr << Show(Materialize(c.replica(0))) << "\n";
  Status st = c.Write(0, LocalWrite::Update(TestKey(), {AttributeOp::CounterAdd("a", Num("5"))}));
  std::cerr << st.ToString() << " " << Show(Materialize(c.replica(0))) << " err=" << c.error() << "\n";
}
}
