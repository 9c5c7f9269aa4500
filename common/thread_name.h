// Names the calling thread (Linux: at most 15 characters) so `top -H`, perf and gdb show
// what each thread is for.
#pragma once

namespace meridian {

void SetThreadName(const char* name);

}  // namespace meridian
