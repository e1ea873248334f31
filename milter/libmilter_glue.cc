#include "milter/libmilter_glue.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <libmilter/mfapi.h>

#include <memory>

namespace sendpool::milter {
namespace {

MilterRuntime* runtime = nullptr;  // set once before smfi_main(); see the header

Session* session_of(SMFICTX* ctx) {
  return static_cast<Session*>(smfi_getpriv(ctx));
}

std::string client_address(const struct sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (!sa) return "";
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

// smfi_setreply treats '%' as a format character.
std::string reply_text(std::string_view text) {
  std::string out;
  for (char c : sanitize(text, 400)) {
    if (c == '%') out.push_back('%');
    out.push_back(c);
  }
  return out;
}

sfsistat to_status(SMFICTX* ctx, const Reply& r) {
  switch (r.action) {
    case Action::kContinue:
      return SMFIS_CONTINUE;
    case Action::kDiscard:
      return SMFIS_DISCARD;
    case Action::kReject:
    case Action::kTempfail: {
      std::string text = reply_text(r.text);
      smfi_setreply(ctx, const_cast<char*>(r.rcode.c_str()), const_cast<char*>(r.xcode.c_str()),
                    const_cast<char*>(text.c_str()));
      return r.action == Action::kReject ? SMFIS_REJECT : SMFIS_TEMPFAIL;
    }
  }
  return SMFIS_TEMPFAIL;
}

// Runs `fn` on the connection's session; any exception or missing session is a tempfail.
template <typename Fn>
sfsistat guarded(SMFICTX* ctx, const char* stage, Fn fn) noexcept {
  try {
    Session* s = session_of(ctx);
    if (!s) return SMFIS_TEMPFAIL;
    return fn(*s);
  } catch (const std::exception& e) {
    runtime->log.error("milter: {}: {}", stage, e.what());
  } catch (...) {
    runtime->log.error("milter: {}: unknown exception", stage);
  }
  return SMFIS_TEMPFAIL;
}

sfsistat on_connect(SMFICTX* ctx, char*, _SOCK_ADDR* addr) noexcept {
  try {
    auto session = std::make_unique<Session>(runtime->catalog, runtime->signer, runtime->platform,
                                             runtime->clock, runtime->log);
    session->connect(client_address(addr));
    smfi_setpriv(ctx, session.release());
    return SMFIS_CONTINUE;
  } catch (...) {
    return SMFIS_TEMPFAIL;
  }
}

sfsistat on_envfrom(SMFICTX* ctx, char** argv) noexcept {
  return guarded(ctx, "mail", [&](Session& s) {
    const char* auth = smfi_getsymval(ctx, const_cast<char*>("{auth_authen}"));
    return to_status(ctx, s.mail(argv && argv[0] ? argv[0] : "", auth ? auth : ""));
  });
}

sfsistat on_envrcpt(SMFICTX* ctx, char** argv) noexcept {
  return guarded(ctx, "rcpt", [&](Session& s) {
    return to_status(ctx, s.rcpt(argv && argv[0] ? argv[0] : ""));
  });
}

sfsistat on_header(SMFICTX* ctx, char* name, char* value) noexcept {
  return guarded(ctx, "header", [&](Session& s) {
    return to_status(ctx, s.header(name ? name : "", value ? value : ""));
  });
}

sfsistat on_eoh(SMFICTX* ctx) noexcept {
  return guarded(ctx, "eoh", [&](Session& s) { return to_status(ctx, s.end_of_headers()); });
}

sfsistat on_body(SMFICTX* ctx, unsigned char* chunk, size_t len) noexcept {
  return guarded(ctx, "body", [&](Session& s) {
    return to_status(ctx, s.body(std::string_view(reinterpret_cast<const char*>(chunk), len)));
  });
}

sfsistat on_eom(SMFICTX* ctx) noexcept {
  return guarded(ctx, "eom", [&](Session& s) -> sfsistat {
    const char* qid = smfi_getsymval(ctx, const_cast<char*>("i"));
    EomChanges c = s.end_of_message(qid ? qid : "");
    if (c.reply.action != Action::kContinue) return to_status(ctx, c.reply);
    for (auto& rcpt : c.delete_recipients)
      if (smfi_delrcpt(ctx, rcpt.data()) != MI_SUCCESS) return SMFIS_TEMPFAIL;
    if (c.new_sender && smfi_chgfrom(ctx, c.new_sender->data(), nullptr) != MI_SUCCESS)
      return SMFIS_TEMPFAIL;
    for (auto& [name, value] : c.add_headers)
      if (smfi_addheader(ctx, name.data(), value.data()) != MI_SUCCESS) return SMFIS_TEMPFAIL;
    for (auto& signature : c.signatures)
      if (smfi_insheader(ctx, 1, const_cast<char*>("DKIM-Signature"), signature.data()) !=
          MI_SUCCESS)
        return SMFIS_TEMPFAIL;
    return SMFIS_CONTINUE;
  });
}

sfsistat on_abort(SMFICTX* ctx) noexcept {
  if (Session* s = session_of(ctx)) s->abort();
  return SMFIS_CONTINUE;
}

sfsistat on_close(SMFICTX* ctx) noexcept {
  // May run without on_connect having run: the pointer can be null.
  delete session_of(ctx);
  smfi_setpriv(ctx, nullptr);
  return SMFIS_CONTINUE;
}

}  // namespace

std::string libmilter_socket_spec(const ListenSpec& spec) {
  if (spec.kind == ListenSpec::Kind::kUnix) return "unix:" + spec.path;
  if (spec.host.find(':') != std::string::npos)
    return fmt::format("inet6:{}@{}", spec.port, spec.host);
  return fmt::format("inet:{}@{}", spec.port, spec.host);
}

Status run_milter(const ListenSpec& listen, MilterRuntime& rt) {
  runtime = &rt;
  struct smfiDesc desc = {};
  desc.xxfi_name = const_cast<char*>("sendpool");
  desc.xxfi_version = SMFI_VERSION;
  desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGFROM | SMFIF_DELRCPT;
  desc.xxfi_connect = on_connect;
  desc.xxfi_envfrom = on_envfrom;
  desc.xxfi_envrcpt = on_envrcpt;
  desc.xxfi_header = on_header;
  desc.xxfi_eoh = on_eoh;
  desc.xxfi_body = on_body;
  desc.xxfi_eom = on_eom;
  desc.xxfi_abort = on_abort;
  desc.xxfi_close = on_close;
  std::string conn = libmilter_socket_spec(listen);
  if (smfi_setconn(conn.data()) != MI_SUCCESS)
    return make_error(ErrorCode::kInvalidArgument, fmt::format("bad milter socket {}", conn));
  if (smfi_register(desc) != MI_SUCCESS)
    return make_error(ErrorCode::kInternal, "smfi_register failed");
  if (smfi_opensocket(true) != MI_SUCCESS)
    return make_error(ErrorCode::kIo, fmt::format("cannot listen on {}", listen.text));
  rt.log.info("listening on {}", listen.text);
  if (smfi_main() != MI_SUCCESS) return make_error(ErrorCode::kInternal, "smfi_main failed");
  return ok_status();
}

}  // namespace sendpool::milter
