#include "core/store/codec.h"

#include <cstring>

namespace sendpool {
namespace {

// A varint never needs more than 10 bytes for 64 bits; longer input is corrupt.
constexpr int kMaxVarintBytes = 10;
// Strings in records are names, keys and PEM text; nothing legitimate comes near this.
constexpr uint64_t kMaxStringLength = 1 << 20;

}  // namespace

RecordWriter& RecordWriter::u64(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
  return *this;
}

RecordWriter& RecordWriter::i64(int64_t v) {
  return u64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

RecordWriter& RecordWriter::f64(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  for (int i = 0; i < 8; ++i)
    out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  return *this;
}

RecordWriter& RecordWriter::str(std::string_view v) {
  u64(v.size());
  out_.append(v);
  return *this;
}

RecordReader::RecordReader(std::string_view in) : in_(in) {
  if (in_.empty()) {
    ok_ = false;
    return;
  }
  version_ = static_cast<uint8_t>(in_[0]);
  pos_ = 1;
}

uint64_t RecordReader::u64() {
  if (!ok_) return 0;
  uint64_t v = 0;
  for (int i = 0; i < kMaxVarintBytes; ++i) {
    if (pos_ >= in_.size()) break;
    auto b = static_cast<uint8_t>(in_[pos_++]);
    if (i == kMaxVarintBytes - 1 && b > 1) break;  // would overflow 64 bits
    v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) return v;
  }
  ok_ = false;
  return 0;
}

int64_t RecordReader::i64() {
  uint64_t z = u64();
  return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
}

double RecordReader::f64() {
  if (!ok_ || in_.size() - pos_ < 8) {
    ok_ = false;
    return 0;
  }
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i)
    bits |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
  pos_ += 8;
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

std::string RecordReader::str() {
  uint64_t n = u64();
  if (!ok_ || n > kMaxStringLength || n > in_.size() - pos_) {
    ok_ = false;
    return {};
  }
  std::string s(in_.substr(pos_, n));
  pos_ += n;
  return s;
}

std::string be64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

uint64_t read_be64(std::string_view bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < bytes.size(); ++i)
    v = (v << 8) | static_cast<uint8_t>(bytes[i]);
  return v;
}

}  // namespace sendpool
