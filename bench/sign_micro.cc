// sign_micro: where a DKIM signature's CPU goes, in-process, without a milter or an MTA.
//
//   sign_micro RSA_KEY.pem ED25519_KEY.pem [iterations]
//
// Prints one JSON object of CPU microseconds per operation (CLOCK_PROCESS_CPUTIME_ID, the
// same clock the milter figures use), each the median of 5 rounds of `iterations`:
//   rsa_sign_cached      EVP_DigestSign rsa-sha256 of a short input, key parsed once
//   rsa_pem_load         PEM_read_bio_PrivateKey of the RSA-2048 key (OpenSSL 3 decoders)
//   rsa_load_and_sign    both, as libopendkim does for every signature
//   ed25519_*            the same for Ed25519
//   dkim_rsa_4k          libopendkim: dkim_sign (PEM key) + headers + 4 KiB body + dkim_eom
//   dkim_rsa_rsa_4k      two such handles on the same message (what both milters do)
//   dkim_ed25519_rsa_4k  an Ed25519 and an RSA handle
// Built by bench/CMakeLists.txt against libopendkim and OpenSSL; bounded by `iterations`.
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#define _Bool bool
#include <opendkim/dkim.h>
#undef _Bool

namespace {

double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::string slurp(const char* path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "sign_micro: cannot read %s\n", path);
    std::exit(2);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Median over 5 rounds of the CPU µs per call of fn.
double measure(int iterations, const std::function<void()>& fn) {
  std::vector<double> rounds;
  fn();  // warm-up
  for (int r = 0; r < 5; ++r) {
    double t = cpu_now();
    for (int i = 0; i < iterations; ++i)
      fn();
    rounds.push_back((cpu_now() - t) * 1e6 / iterations);
  }
  std::sort(rounds.begin(), rounds.end());
  return rounds[2];
}

EVP_PKEY* load(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!k) {
    std::fprintf(stderr, "sign_micro: cannot parse a key\n");
    std::exit(2);
  }
  return k;
}

void sign(EVP_PKEY* key, bool ed25519) {
  static const unsigned char data[] = "relaxed header canonical form and the body hash b=";
  unsigned char sig[512];
  size_t len = sizeof sig;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (EVP_DigestSignInit(ctx, nullptr, ed25519 ? nullptr : EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx, sig, &len, data, sizeof data - 1) != 1) {
    std::fprintf(stderr, "sign_micro: signing failed\n");
    std::exit(2);
  }
  EVP_MD_CTX_free(ctx);
}

std::string message_body() {
  std::string body;
  for (int i = 0; body.size() < 4096; ++i) {
    char line[128];
    std::snprintf(line, sizeof line,
                  "%05d Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n", i);
    body += line;
  }
  return body;
}

void dkim_message(DKIM_LIB* lib, const std::vector<std::pair<std::string, bool>>& keys,
                  const std::string& body) {
  static const char* headers[] = {
      "From: Customer App <app@customer.example>", "To: Someone <someone@example.org>",
      "Subject: Your order has shipped",           "Date: Thu, 04 Dec 2025 10:00:00 +0000",
      "Message-ID: <bench.1@customer.example>",    "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=us-ascii"};
  std::vector<DKIM*> handles;
  for (const auto& [pem, ed] : keys) {
    DKIM_STAT st;
    std::string copy = pem;
    DKIM* d =
        dkim_sign(lib, reinterpret_cast<const unsigned char*>("micro"), nullptr,
                  reinterpret_cast<dkim_sigkey_t>(copy.data()),
                  reinterpret_cast<const unsigned char*>(ed ? "e1" : "r1"),
                  reinterpret_cast<const unsigned char*>("customer.example"), DKIM_CANON_RELAXED,
                  DKIM_CANON_RELAXED, ed ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256, -1, &st);
    if (!d) {
      std::fprintf(stderr, "sign_micro: dkim_sign failed: %d\n", st);
      std::exit(2);
    }
    handles.push_back(d);
  }
  for (DKIM* d : handles) {
    for (const char* h : headers)
      dkim_header(d, reinterpret_cast<u_char*>(const_cast<char*>(h)), std::strlen(h));
    dkim_eoh(d);
    std::string b = body;
    dkim_body(d, reinterpret_cast<u_char*>(b.data()), b.size());
    if (dkim_eom(d, nullptr) != DKIM_STAT_OK) {
      std::fprintf(stderr, "sign_micro: dkim_eom failed: %s\n", dkim_geterror(d));
      std::exit(2);
    }
    u_char* buf = nullptr;
    size_t len = 0;
    dkim_getsighdr_d(d, std::strlen(DKIM_SIGNHEADER) + 2, &buf, &len);
    dkim_free(d);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: sign_micro RSA_KEY.pem ED25519_KEY.pem [iterations]\n");
    return 2;
  }
  std::string rsa = slurp(argv[1]), ed = slurp(argv[2]);
  int n = argc > 3 ? std::max(1, std::min(10000, std::atoi(argv[3]))) : 100;
  EVP_PKEY* rsa_key = load(rsa);
  EVP_PKEY* ed_key = load(ed);
  std::string body = message_body();
  DKIM_LIB* lib = dkim_init(nullptr, nullptr);
  if (!lib) return 2;

  double rsa_cached = measure(n, [&] { sign(rsa_key, false); });
  double rsa_load = measure(n, [&] { EVP_PKEY_free(load(rsa)); });
  double rsa_both = measure(n, [&] {
    EVP_PKEY* k = load(rsa);
    sign(k, false);
    EVP_PKEY_free(k);
  });
  double ed_cached = measure(n * 4, [&] { sign(ed_key, true); });
  double ed_load = measure(n * 4, [&] { EVP_PKEY_free(load(ed)); });
  double ed_both = measure(n * 4, [&] {
    EVP_PKEY* k = load(ed);
    sign(k, true);
    EVP_PKEY_free(k);
  });
  double dkim_rsa = measure(n, [&] { dkim_message(lib, {{rsa, false}}, body); });
  double dkim_rsa_rsa = measure(n / 2 + 1, [&] {
    dkim_message(lib, {{rsa, false}, {rsa, false}}, body);
  });
  double dkim_ed_rsa = measure(n / 2 + 1, [&] {
    dkim_message(lib, {{ed, true}, {rsa, false}}, body);
  });
  std::printf(
      "{\"iterations\": %d, \"rsa_sign_cached_us\": %.1f, \"rsa_pem_load_us\": %.1f, "
      "\"rsa_load_and_sign_us\": %.1f, \"ed25519_sign_cached_us\": %.1f, "
      "\"ed25519_pem_load_us\": %.1f, \"ed25519_load_and_sign_us\": %.1f, "
      "\"dkim_rsa_4k_us\": %.1f, \"dkim_rsa_rsa_4k_us\": %.1f, \"dkim_ed25519_rsa_4k_us\": %.1f}\n",
      n, rsa_cached, rsa_load, rsa_both, ed_cached, ed_load, ed_both, dkim_rsa, dkim_rsa_rsa,
      dkim_ed_rsa);
  dkim_close(lib);
  EVP_PKEY_free(rsa_key);
  EVP_PKEY_free(ed_key);
  return 0;
}
