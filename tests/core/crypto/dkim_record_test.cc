#include "core/crypto/dkim_record.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sendpool {
namespace {

// The quoted character-strings of a zone-file line, unescaped.
std::vector<std::string> quoted_strings(std::string_view line) {
  std::vector<std::string> out;
  bool inside = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (!inside) {
      if (c == '"') {
        inside = true;
        out.emplace_back();
      }
    } else if (c == '\\' && i + 1 < line.size()) {
      out.back() += line[++i];
    } else if (c == '"') {
      inside = false;
    } else {
      out.back() += c;
    }
  }
  return out;
}

std::string fake_b64(size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < size; ++i)
    out += kAlphabet[i % 64];
  return out;
}

TEST(DkimRecordTest, TxtValueNamesVersionKeyTypeAndPublicKey) {
  EXPECT_EQ(dkim_txt_value(KeyType::kRsa, "MIIBIjAN"), "v=DKIM1; k=rsa; p=MIIBIjAN");
  EXPECT_EQ(dkim_txt_value(KeyType::kEd25519, "11qYAYKx"), "v=DKIM1; k=ed25519; p=11qYAYKx");
}

TEST(DkimRecordTest, RecordNameIsSelectorUnderDomainkeyOfTheDomain) {
  EXPECT_EQ(dkim_record_name("sp2024", "example.com"), "sp2024._domainkey.example.com");
  EXPECT_EQ(dkim_record_name("a.b", "example.com."), "a.b._domainkey.example.com");
}

TEST(DkimRecordTest, ShortRecordIsOneZoneLineWithTagsAndKeyInSeparateStrings) {
  EXPECT_EQ(dkim_dns_record("sel", "example.com", KeyType::kEd25519, "11qYAYKx"),
            "sel._domainkey.example.com. IN TXT ( \"v=DKIM1; k=ed25519; \" \"p=11qYAYKx\" )");
  EXPECT_EQ(dkim_dns_record("sel", "example.com.", KeyType::kRsa, "MIIB"),
            "sel._domainkey.example.com. IN TXT ( \"v=DKIM1; k=rsa; \" \"p=MIIB\" )");
}

TEST(DkimRecordTest, LongValueIsSplitIntoStringsOfAtMost255OctetsThatConcatenateBack) {
  // 252/253/254 put the "p=" part exactly at, and one either side of, the 255 boundary;
  // 392 and 736 are the p= lengths of 2048- and 4096-bit RSA keys.
  for (size_t b64_size : {0u, 1u, 252u, 253u, 254u, 392u, 508u, 509u, 736u, 2000u}) {
    for (KeyType type : {KeyType::kRsa, KeyType::kEd25519}) {
      const std::string b64 = fake_b64(b64_size);
      const std::string line = dkim_dns_record("s1", "mail.example.org", type, b64);
      EXPECT_EQ(line.rfind("s1._domainkey.mail.example.org. IN TXT ( \"", 0), 0u) << line;
      EXPECT_EQ(line.substr(line.size() - 3), "\" )") << line;
      EXPECT_EQ(line.find('\n'), std::string::npos);

      const std::vector<std::string> chunks = quoted_strings(line);
      std::string joined;
      for (const std::string& chunk : chunks) {
        EXPECT_LE(chunk.size(), kMaxTxtStringBytes) << b64_size;
        EXPECT_FALSE(chunk.empty()) << b64_size;
        joined += chunk;
      }
      EXPECT_EQ(joined, dkim_txt_value(type, b64)) << b64_size;
      const size_t p_size = b64_size + 2;
      EXPECT_EQ(chunks.size(), 1 + (p_size + kMaxTxtStringBytes - 1) / kMaxTxtStringBytes)
          << b64_size;
    }
  }
}

TEST(DkimRecordTest, QuotesAndBackslashesInTheValueAreEscaped) {
  const std::string line = dkim_dns_record("sel", "example.com", KeyType::kRsa, "a\"b\\c");
  EXPECT_NE(line.find("\"p=a\\\"b\\\\c\""), std::string::npos) << line;
  const std::vector<std::string> chunks = quoted_strings(line);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[1], "p=a\"b\\c");
}

struct SelectorCase {
  std::string selector;
  bool valid;
};

TEST(DkimRecordTest, SelectorMustBeDotSeparatedLdhLabelsOf1To63OctetsAndAtMost253) {
  std::string max_name = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                         std::string(63, 'c') + "." + std::string(61, 'd');
  ASSERT_EQ(max_name.size(), 253u);
  const SelectorCase cases[] = {
      {"s1", true},
      {"sendpool-2024-06", true},
      {"SP2024", true},
      {"a.b.c", true},
      {"0", true},
      {"x", true},
      {std::string(63, 'a'), true},
      {max_name, true},
      {"", false},
      {std::string(64, 'a'), false},
      {max_name + "e", false},
      {"-lead", false},
      {"trail-", false},
      {"a.-b", false},
      {"a-.b", false},
      {".lead", false},
      {"trail.", false},
      {"a..b", false},
      {"under_score", false},
      {"sp ace", false},
      {"semi;colon", false},
      {"quo\"te", false},
      {std::string("nul\0x", 5), false},
      {"caf\xC3\xA9", false},
      {"s1._domainkey", false},
  };
  for (const SelectorCase& c : cases) {
    EXPECT_EQ(is_valid_selector(c.selector), c.valid) << "'" << c.selector << "'";
  }
}

}  // namespace
}  // namespace sendpool
