#include "conflict/version_vector.h"

#include <algorithm>
#include <utility>

namespace meridian::conflict {
namespace {

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool ReadVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in->empty()) return false;
    const auto byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    // The tenth byte may only carry the top bit of a 64-bit value.
    if (shift == 63 && byte > 1) return false;
    result |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

}  // namespace

std::string Dot::ToString() const { return std::to_string(region) + ":" + std::to_string(seq); }

const char* CausalOrderName(CausalOrder order) {
  switch (order) {
    case CausalOrder::kEqual: return "equal";
    case CausalOrder::kBefore: return "before";
    case CausalOrder::kAfter: return "after";
    case CausalOrder::kConcurrent: return "concurrent";
  }
  return "?";
}

VersionVector VersionVector::FromEntries(std::vector<Entry> entries) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.region != b.region ? a.region < b.region : a.seq > b.seq;
  });
  VersionVector vv;
  for (const Entry& e : entries) {
    if (e.seq == 0) continue;
    if (!vv.entries_.empty() && vv.entries_.back().region == e.region) continue;
    vv.entries_.push_back(e);
  }
  return vv;
}

uint64_t VersionVector::Get(RegionId region) const {
  // Vectors hold a handful of regions: a linear scan beats binary search here.
  for (const Entry& e : entries_) {
    if (e.region == region) return e.seq;
    if (e.region > region) break;
  }
  return 0;
}

void VersionVector::Add(const Dot& dot) {
  if (dot.seq == 0) return;
  auto it = std::lower_bound(entries_.begin(), entries_.end(), dot.region,
                             [](const Entry& e, RegionId r) { return e.region < r; });
  if (it != entries_.end() && it->region == dot.region) {
    it->seq = std::max(it->seq, dot.seq);
  } else {
    entries_.insert(it, Entry{dot.region, dot.seq});
  }
}

Dot VersionVector::Increment(RegionId region) {
  Dot dot{region, Get(region) + 1};
  Add(dot);
  return dot;
}

void VersionVector::Join(const VersionVector& other) {
  if (other.entries_.empty()) return;
  const bool same_regions =
      std::equal(entries_.begin(), entries_.end(), other.entries_.begin(), other.entries_.end(),
                 [](const Entry& a, const Entry& b) { return a.region == b.region; });
  if (same_regions) {  // the common case: no allocation
    for (size_t i = 0; i < entries_.size(); ++i) {
      entries_[i].seq = std::max(entries_[i].seq, other.entries_[i].seq);
    }
    return;
  }
  if (entries_.empty()) {
    entries_ = other.entries_;
    return;
  }
  std::vector<Entry> out;
  out.reserve(entries_.size() + other.entries_.size());
  size_t i = 0, j = 0;
  while (i < entries_.size() || j < other.entries_.size()) {
    if (j == other.entries_.size() ||
        (i < entries_.size() && entries_[i].region < other.entries_[j].region)) {
      out.push_back(entries_[i++]);
    } else if (i == entries_.size() || other.entries_[j].region < entries_[i].region) {
      out.push_back(other.entries_[j++]);
    } else {
      out.push_back({entries_[i].region, std::max(entries_[i].seq, other.entries_[j].seq)});
      ++i;
      ++j;
    }
  }
  entries_ = std::move(out);
}

CausalOrder VersionVector::Compare(const VersionVector& other) const {
  bool a_ahead = false;  // *this has a write other lacks
  bool b_ahead = false;
  size_t i = 0, j = 0;
  while (i < entries_.size() || j < other.entries_.size()) {
    if (j == other.entries_.size() ||
        (i < entries_.size() && entries_[i].region < other.entries_[j].region)) {
      a_ahead = true;
      ++i;
    } else if (i == entries_.size() || other.entries_[j].region < entries_[i].region) {
      b_ahead = true;
      ++j;
    } else {
      if (entries_[i].seq > other.entries_[j].seq) a_ahead = true;
      if (entries_[i].seq < other.entries_[j].seq) b_ahead = true;
      ++i;
      ++j;
    }
  }
  if (a_ahead && b_ahead) return CausalOrder::kConcurrent;
  if (a_ahead) return CausalOrder::kAfter;
  if (b_ahead) return CausalOrder::kBefore;
  return CausalOrder::kEqual;
}

bool VersionVector::LessOrEqual(const VersionVector& other) const {
  CausalOrder order = Compare(other);
  return order == CausalOrder::kEqual || order == CausalOrder::kBefore;
}

std::string VersionVector::ToString() const {
  std::string out = "{";
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (i > 0) out += ",";
    out += std::to_string(entries_[i].region) + ":" + std::to_string(entries_[i].seq);
  }
  return out + "}";
}

void VersionVector::EncodeCompact(std::string* out) const {
  AppendVarint(entries_.size(), out);
  RegionId previous = 0;
  for (const Entry& e : entries_) {
    AppendVarint(e.region - previous, out);
    AppendVarint(e.seq, out);
    previous = e.region;
  }
}

std::string VersionVector::EncodeCompact() const {
  std::string out;
  EncodeCompact(&out);
  return out;
}

Result<VersionVector> VersionVector::DecodeCompact(std::string_view* in) {
  uint64_t count = 0;
  if (!ReadVarint(in, &count)) return Status::Corruption("version vector: bad count");
  // Every entry takes at least two bytes: a corrupt count cannot make us allocate much.
  if (count > in->size() / 2) return Status::Corruption("version vector: count too large");
  VersionVector vv;
  vv.entries_.reserve(count);
  uint64_t region = 0;
  for (uint64_t k = 0; k < count; ++k) {
    uint64_t delta = 0, seq = 0;
    if (!ReadVarint(in, &delta) || !ReadVarint(in, &seq)) {
      return Status::Corruption("version vector: truncated entry");
    }
    if (k > 0 && delta == 0) return Status::Corruption("version vector: repeated region");
    region += delta;
    if (delta > UINT32_MAX || region > UINT32_MAX) {
      return Status::Corruption("version vector: region id out of range");
    }
    if (seq == 0) return Status::Corruption("version vector: zero seq");
    vv.entries_.push_back({static_cast<RegionId>(region), seq});
  }
  return vv;
}

}  // namespace meridian::conflict
