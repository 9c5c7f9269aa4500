// Not built: tools/lint.sh compiles this with clang -Wthread-safety and requires exactly the
// three errors marked below, proving that the analysis over common/mutex.h catches what it
// is there to catch (an unannotated lock type would make every line compile silently).
#include "common/mutex.h"

namespace {

struct Counters {
  meridian::Mutex mu;
  int hits GUARDED_BY(mu) = 0;
  meridian::SharedMutex table_mu;
  int entries GUARDED_BY(table_mu) = 0;

  void Fine() {
    meridian::MutexLock lock(&mu);
    ++hits;
    meridian::ReaderMutexLock read(&table_mu);
    (void)entries;
  }
  void NoLock() { ++hits; }  // expected-error: writing 'hits' requires 'mu'
  void SharedWrite() {
    meridian::ReaderMutexLock read(&table_mu);
    ++entries;  // expected-error: writing 'entries' requires 'table_mu' exclusively
  }
  void AfterUnlock() {
    meridian::MutexLock lock(&mu);
    lock.Unlock();
    ++hits;  // expected-error: writing 'hits' after the lock was released
  }
};

}  // namespace

int main() {
  Counters c;
  c.Fine();
}
