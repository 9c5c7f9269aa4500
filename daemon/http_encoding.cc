#include "daemon/http_encoding.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <vector>

namespace meridian::daemon {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

// Calls fn(entry) for each non-empty, trimmed, comma-separated entry of `list`.
template <class Fn>
void ForEachListEntry(std::string_view list, Fn fn) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view entry = Trim(list.substr(start, comma - start));
    if (!entry.empty()) fn(entry);
    start = comma + 1;
  }
}

// The weight of an Accept-Encoding entry's parameters ("q=0.5;..."): its first q.
double Weight(std::string_view params) {
  while (!params.empty()) {
    size_t semi = params.find(';');
    std::string_view param = params.substr(0, semi);
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    size_t eq = param.find('=');
    if (eq == std::string_view::npos || !EqualsIgnoreCase(Trim(param.substr(0, eq)), "q")) {
      continue;
    }
    std::string_view text = Trim(param.substr(eq + 1));
    double q = 1;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), q);
    if (ec != std::errc() || end != text.data() + text.size()) return 1;
    return std::clamp(q, 0.0, 1.0);
  }
  return 1;
}

struct Candidate {
  double weight = -1;  // -1: not acceptable at all
  bool explicit_name = false;
  size_t position = 0;
};

class Inflater {
 public:
  // raw: headerless deflate; otherwise gzip or zlib by the header (windowBits 15 + 32 or 15).
  Inflater(bool gzip, bool raw) {
    ok_ = inflateInit2(&z_, raw ? -15 : (gzip ? 15 + 16 : 15)) == Z_OK;
  }
  ~Inflater() {
    if (ok_) inflateEnd(&z_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Inflates all of `in`, appending to *out. gzip: member after member.
  std::optional<DecodeError> Run(std::string_view in, bool gzip, size_t max_bytes,
                                 std::string* out) {
    if (!ok_) return DecodeError::kMalformed;
    if (in.empty()) return DecodeError::kMalformed;
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    std::array<char, 16384> chunk;
    for (;;) {
      z_.next_out = reinterpret_cast<Bytef*>(chunk.data());
      z_.avail_out = chunk.size();
      const int rc = inflate(&z_, Z_NO_FLUSH);
      const size_t produced = chunk.size() - z_.avail_out;
      if (out->size() + produced > max_bytes) return DecodeError::kTooLarge;
      out->append(chunk.data(), produced);
      if (rc == Z_STREAM_END) {
        if (z_.avail_in == 0) return std::nullopt;
        if (!gzip) return DecodeError::kMalformed;  // junk after the stream
        if (inflateReset(&z_) != Z_OK) return DecodeError::kMalformed;
        continue;  // the next gzip member
      }
      if (rc == Z_BUF_ERROR && produced == 0) return DecodeError::kMalformed;  // truncated
      if (rc != Z_OK && rc != Z_BUF_ERROR) return DecodeError::kMalformed;
    }
  }

 private:
  z_stream z_{};
  bool ok_ = false;
};

DecodeResult Decode(ContentCoding coding, std::string_view body, size_t max_bytes) {
  DecodeResult result;
  const bool gzip = coding == ContentCoding::kGzip;
  {
    Inflater inflater(gzip, /*raw=*/false);
    result.error = inflater.Run(body, gzip, max_bytes, &result.body);
  }
  // "deflate" is the zlib format, but some clients send raw deflate: retry without header.
  if (result.error == DecodeError::kMalformed && !gzip) {
    result.body.clear();
    Inflater raw(false, /*raw=*/true);
    result.error = raw.Run(body, false, max_bytes, &result.body);
  }
  if (result.error) result.body.clear();
  return result;
}

}  // namespace

std::string_view ContentCodingName(ContentCoding coding) {
  return coding == ContentCoding::kGzip ? "gzip" : "deflate";
}

std::optional<ContentCoding> NegotiateResponseCoding(std::string_view accept_encoding) {
  Candidate gzip, deflate, star;
  size_t position = 0;
  ForEachListEntry(accept_encoding, [&](std::string_view entry) {
    const size_t semi = entry.find(';');
    const std::string_view name = Trim(entry.substr(0, semi));
    const double w = semi == std::string_view::npos ? 1.0 : Weight(entry.substr(semi + 1));
    Candidate* c = EqualsIgnoreCase(name, "gzip")      ? &gzip
                   : EqualsIgnoreCase(name, "deflate") ? &deflate
                   : name == "*"                       ? &star
                                                       : nullptr;
    ++position;
    if (!c) return;
    if (!c->explicit_name) c->position = position;
    c->explicit_name = true;
    c->weight = std::max(c->weight, w);
  });
  for (Candidate* c : {&gzip, &deflate}) {
    if (!c->explicit_name && star.explicit_name) {
      c->weight = star.weight;
      c->position = star.position;
    }
  }
  auto better = [](const Candidate& a, const Candidate& b) {  // a strictly beats b
    if (a.weight != b.weight) return a.weight > b.weight;
    if (a.explicit_name != b.explicit_name) return a.explicit_name;
    return a.position < b.position;
  };
  const bool deflate_wins = better(deflate, gzip);
  const Candidate& best = deflate_wins ? deflate : gzip;
  if (best.weight <= 0) return std::nullopt;
  return deflate_wins ? ContentCoding::kDeflate : ContentCoding::kGzip;
}

DecodeResult DecodeRequestBody(std::string_view content_encoding, std::string body,
                               size_t max_bytes) {
  std::vector<ContentCoding> codings;
  bool unsupported = false;
  ForEachListEntry(content_encoding, [&](std::string_view entry) {
    if (EqualsIgnoreCase(entry, "gzip") || EqualsIgnoreCase(entry, "x-gzip")) {
      codings.push_back(ContentCoding::kGzip);
    } else if (EqualsIgnoreCase(entry, "deflate")) {
      codings.push_back(ContentCoding::kDeflate);
    } else if (!EqualsIgnoreCase(entry, "identity")) {
      unsupported = true;
    }
  });
  if (unsupported) return {DecodeError::kUnsupportedCoding, {}};
  // Codings are listed in the order they were applied: undo them from the last.
  for (auto it = codings.rbegin(); it != codings.rend(); ++it) {
    DecodeResult step = Decode(*it, body, max_bytes);
    if (step.error) return step;
    body = std::move(step.body);
  }
  return {std::nullopt, std::move(body)};
}

std::string Compress(ContentCoding coding, std::string_view data) {
  z_stream z{};
  const int window = coding == ContentCoding::kGzip ? 15 + 16 : 15;
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return {};
  }
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(rc == Z_STREAM_END ? z.total_out : 0);
  deflateEnd(&z);
  return out;
}

uint32_t Crc32(std::string_view data) {
  return static_cast<uint32_t>(
      crc32_z(0, reinterpret_cast<const Bytef*>(data.data()), data.size()));
}

}  // namespace meridian::daemon
