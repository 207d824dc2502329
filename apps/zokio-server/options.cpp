// The option table and its two front ends, CLI11 and toml++ (see options.hpp).
#include "options.hpp"

#include <sys/stat.h>

#include <toml++/toml.h>
#include <CLI/CLI.hpp>
#include <charconv>
#include <functional>
#include <vector>

#include "zokio/net/address.hpp"

namespace zokio::server {

namespace {

// The TOML types a key accepts: sizes and durations may be numbers or strings with a unit.
enum class Kind { kText, kNumber, kSize, kDuration, kBool };

struct OptionSpec {
  std::string key;  // TOML key; the flag is --key with '-' for '_'
  std::string help;
  Kind kind;  // kBool: --key / --no-key on the command line
  std::function<std::string(const ServerOptions&)> show;
  std::function<void(ServerOptions&, const std::string&)> set;  // throws UsageError
};

std::string flag_of(const std::string& key) {
  std::string f = "--" + key;
  for (char& c : f) {
    if (c == '_') c = '-';
  }
  return f;
}

[[noreturn]] void bad(const std::string& key, const std::string& value, const std::string& why) {
  throw UsageError(flag_of(key) + ": '" + value + "' " + why);
}

std::uint64_t parse_uint(const std::string& key, const std::string& v, std::uint64_t min,
                         std::uint64_t max) {
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size()) {
    bad(key, v, "is not a whole number");
  }
  if (n < min || n > max) {
    bad(key, v, "is out of range (" + std::to_string(min) + " to " + std::to_string(max) + ")");
  }
  return n;
}

bool parse_bool(const std::string& key, const std::string& v) {
  if (v == "true") return true;
  if (v == "false") return false;
  bad(key, v, "is not true or false");
}

std::string one_of(const std::string& key, const std::string& v,
                   std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) {
    if (v == a) return v;
    list += list.empty() ? a : std::string(", ") + a;
  }
  bad(key, v, "is not one of " + list);
}

std::string show_ms(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

// Longer timeouts would mean "never" and overflow the deadline arithmetic of the clock.
constexpr std::chrono::hours kMaxDuration{24 * 7};

std::chrono::milliseconds duration_option(const std::string& key, const std::string& v,
                                          bool zero_ok = false) {
  try {
    auto d = parse_duration(v);
    if (d.count() < 0 || (d.count() == 0 && !zero_ok)) bad(key, v, "must be longer than zero");
    if (d > kMaxDuration) bad(key, v, "is too long (at most 7 days: 168h)");
    return d;
  } catch (const std::invalid_argument&) {
    bad(key, v, "is not a duration (like 10s, 500ms, 2m)");
  }
}

std::uint64_t size_option(const std::string& key, const std::string& v, std::uint64_t min) {
  try {
    auto n = parse_size(v);
    if (n < min) bad(key, v, "is too small (at least " + std::to_string(min) + " bytes)");
    return n;
  } catch (const std::invalid_argument&) {
    bad(key, v, "is not a size (like 16384, 64k, 8M)");
  }
}

const std::vector<OptionSpec>& option_table() {
  using O = ServerOptions;
  using S = const std::string&;
  static const std::vector<OptionSpec> table = {
      {"host", "Address to listen on (IPv4 or IPv6)", Kind::kText,
       [](const O& o) { return o.host; },
       [](O& o, S v) {
         if (!net::IpAddr::parse(v)) bad("host", v, "is not an IP address");
         o.host = v;
       }},
      {"port", "TCP port (0: any free port)", Kind::kNumber,
       [](const O& o) { return std::to_string(o.port); },
       [](O& o, S v) { o.port = static_cast<std::uint16_t>(parse_uint("port", v, 0, 65535)); }},
      {"workers", "Worker threads (0: one per core)", Kind::kNumber,
       [](const O& o) { return std::to_string(o.workers); },
       [](O& o, S v) { o.workers = parse_uint("workers", v, 0, 1024); }},
      {"io", "I/O backend: auto, uring or epoll", Kind::kText, [](const O& o) { return o.io; },
       [](O& o, S v) {
         o.io = one_of("io", v, {"auto", "uring", "epoll"});
       }},
      // An empty default shows no placeholder in --help: "(none)" would be taken literally.
      {"root", "Serve this directory instead of the embedded site (default: the embedded site)",
       Kind::kText, [](const O& o) { return o.root; },
       [](O& o, S v) {
         struct stat st {};
         if (::stat(v.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
           bad("root", v, "is not a directory");
         }
         o.root = v;
       }},
      {"access_log", "Access log file, '-' for standard output (default: off)", Kind::kText,
       [](const O& o) { return o.access_log.empty() ? std::string("off") : o.access_log; },
       [](O& o, S v) { o.access_log = v == "off" ? std::string() : v; }},
      {"access_log_format", "Access log format: combined or json", Kind::kText,
       [](const O& o) { return o.access_log_format; },
       [](O& o, S v) {
         o.access_log_format = one_of("access_log_format", v, {"combined", "json"});
       }},
      {"log_level", "Log level: error, warn, info or debug", Kind::kText,
       [](const O& o) { return o.log_level; },
       [](O& o, S v) {
         o.log_level = one_of("log_level", v, {"error", "warn", "info", "debug"});
       }},
      {"builtin_routes", "Serve the built-in routes (/hello, /json, /api/*, /metrics, ...)",
       Kind::kBool, [](const O& o) { return std::string(o.builtin_routes ? "true" : "false"); },
       [](O& o, S v) { o.builtin_routes = parse_bool("builtin_routes", v); }},
      {"builtin_prefix",
       "Mount the built-in routes under this path prefix, e.g. /_zokio (default: none)",
       Kind::kText, [](const O& o) { return o.builtin_prefix; },
       [](O& o, S v) {
         if (!v.empty() && (v.front() != '/' || v.back() == '/' ||
                            v.find_first_of(" ?#%") != std::string::npos)) {
           bad("builtin_prefix", v, "must start with '/', not end with one, and hold no ' ?#%'");
         }
         o.builtin_prefix = v;
       }},
      {"gzip", "Compress text responses for clients that accept gzip", Kind::kBool,
       [](const O& o) { return std::string(o.gzip ? "true" : "false"); },
       [](O& o, S v) { o.gzip = parse_bool("gzip", v); }},
      {"reuse_port",
       "Share the port with other processes (SO_REUSEPORT), for restarts without a gap; "
       "without it, a port another process listens on is an error",
       Kind::kBool, [](const O& o) { return std::string(o.reuse_port ? "true" : "false"); },
       [](O& o, S v) { o.reuse_port = parse_bool("reuse_port", v); }},
      {"proxy_protocol",
       "Every connection starts with a PROXY protocol header (v1 or v2) giving the client's "
       "address; only behind a proxy that sends it",
       Kind::kBool, [](const O& o) { return std::string(o.proxy_protocol ? "true" : "false"); },
       [](O& o, S v) { o.proxy_protocol = parse_bool("proxy_protocol", v); }},
      {"trusted_proxies",
       "Proxies whose X-Forwarded-For / Forwarded headers name the client: comma-separated "
       "addresses or networks, e.g. 10.0.0.0/8,fd00::/8 (default: none)",
       Kind::kText, [](const O& o) { return o.trusted_proxies; },
       [](O& o, S v) { o.trusted_proxies = v; }},
      {"hide_dotfiles", "Answer 404 for files and directories whose name starts with '.'",
       Kind::kBool, [](const O& o) { return std::string(o.hide_dotfiles ? "true" : "false"); },
       [](O& o, S v) { o.hide_dotfiles = parse_bool("hide_dotfiles", v); }},
      {"cache_control", "Cache-Control header for static files (default: none)", Kind::kText,
       [](const O& o) { return o.cache_control; },
       [](O& o, S v) {
         if (v.find_first_of("\r\n") != std::string::npos) {
           bad("cache_control", v, "must be one line");
         }
         o.cache_control = v;
       }},
      {"max_request_line", "Longest request line", Kind::kSize,
       [](const O& o) { return std::to_string(o.max_request_line); },
       [](O& o, S v) { o.max_request_line = size_option("max_request_line", v, 64); }},
      {"max_header_bytes", "Largest header section", Kind::kSize,
       [](const O& o) { return std::to_string(o.max_header_bytes); },
       [](O& o, S v) { o.max_header_bytes = size_option("max_header_bytes", v, 256); }},
      {"max_headers", "Most header fields in a request", Kind::kNumber,
       [](const O& o) { return std::to_string(o.max_headers); },
       [](O& o, S v) { o.max_headers = parse_uint("max_headers", v, 1, 10000); }},
      {"max_body_bytes", "Largest request body", Kind::kSize,
       [](const O& o) { return std::to_string(o.max_body_bytes); },
       [](O& o, S v) { o.max_body_bytes = size_option("max_body_bytes", v, 0); }},
      {"max_requests_per_connection",
       "Requests before a keep-alive connection closes (0: no limit)", Kind::kNumber,
       [](const O& o) { return std::to_string(o.max_requests_per_connection); },
       [](O& o, S v) {
         o.max_requests_per_connection =
             parse_uint("max_requests_per_connection", v, 0, 1ull << 40);
       }},
      {"backlog", "Listen backlog", Kind::kNumber,
       [](const O& o) { return std::to_string(o.backlog); },
       [](O& o, S v) { o.backlog = static_cast<int>(parse_uint("backlog", v, 1, 1 << 20)); }},
      {"max_connections",
       "Most connections open at once; more are closed when accepted (0: the open-file limit "
       "less 1/16)",
       Kind::kNumber, [](const O& o) { return std::to_string(o.max_connections); },
       [](O& o, S v) { o.max_connections = parse_uint("max_connections", v, 0, 1ull << 32); }},
      {"max_connections_per_client",
       "Most connections open at once from one client IP address (0: no limit)", Kind::kNumber,
       [](const O& o) { return std::to_string(o.max_connections_per_client); },
       [](O& o, S v) {
         o.max_connections_per_client = parse_uint("max_connections_per_client", v, 0, 1ull << 32);
       }},
      {"header_timeout", "Time to receive a request head", Kind::kDuration,
       [](const O& o) { return show_ms(o.header_timeout); },
       [](O& o, S v) { o.header_timeout = duration_option("header_timeout", v); }},
      {"body_timeout", "Time without progress while receiving a request body", Kind::kDuration,
       [](const O& o) { return show_ms(o.body_timeout); },
       [](O& o, S v) { o.body_timeout = duration_option("body_timeout", v); }},
      {"idle_timeout", "Keep-alive idle time before a connection closes", Kind::kDuration,
       [](const O& o) { return show_ms(o.idle_timeout); },
       [](O& o, S v) { o.idle_timeout = duration_option("idle_timeout", v); }},
      {"write_timeout", "Time without progress while sending a response", Kind::kDuration,
       [](const O& o) { return show_ms(o.write_timeout); },
       [](O& o, S v) { o.write_timeout = duration_option("write_timeout", v); }},
      {"drain_delay",
       "On SIGTERM: time /readyz answers 503 while connections are still accepted and served "
       "(each response closes its connection) before the listeners close; 0: none",
       Kind::kDuration, [](const O& o) { return show_ms(o.drain_delay); },
       [](O& o, S v) { o.drain_delay = duration_option("drain_delay", v, /*zero_ok=*/true); }},
      {"drain_timeout", "On SIGTERM/SIGINT: time for requests in flight to finish", Kind::kDuration,
       [](const O& o) { return show_ms(o.drain_timeout); },
       [](O& o, S v) { o.drain_timeout = duration_option("drain_timeout", v); }},
  };
  return table;
}

std::string toml_value_text(const std::string& file, const OptionSpec& spec,
                            const toml::node& node) {
  const Kind k = spec.kind;
  if (node.is_string() && (k == Kind::kText || k == Kind::kSize || k == Kind::kDuration)) {
    return *node.value<std::string>();
  }
  if (node.is_integer() && (k == Kind::kNumber || k == Kind::kSize || k == Kind::kDuration)) {
    return std::to_string(*node.value<std::int64_t>());
  }
  if (node.is_boolean() && k == Kind::kBool) return *node.value<bool>() ? "true" : "false";
  static const char* const kWanted[] = {
      "a string", "a whole number", "a whole number or a string like \"8M\"",
      "a string like \"10s\" or a number of seconds", "true or false"};
  throw UsageError("config " + file + ": key '" + spec.key + "' must be " +
                   kWanted[static_cast<int>(k)]);
}

void apply_config_file(const std::string& file, ServerOptions& out) {
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    // toml++ would read a directory as an empty file: silent defaults.
    throw UsageError("config " + file + ": is a directory, not a TOML file");
  }
  toml::table table;
  try {
    table = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw UsageError("config " + file +
                     (where.line
                          ? ":" + std::to_string(where.line) + ":" + std::to_string(where.column)
                          : std::string()) +
                     ": " + std::string(e.description()));
  }
  for (const auto& [k, node] : table) {
    const std::string key(k.str());
    const OptionSpec* spec = nullptr;
    for (const auto& s : option_table()) {
      if (s.key == key) spec = &s;
    }
    if (!spec) throw UsageError("config " + file + ": unknown key '" + key + "'");
    const std::string text = toml_value_text(file, *spec, node);
    try {
      spec->set(out, text);
    } catch (const UsageError& e) {
      throw UsageError("config " + file + ": " + e.what());
    }
  }
}

}  // namespace

std::chrono::milliseconds parse_duration(const std::string& text) {
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || n > (1ull << 40)) {
    throw std::invalid_argument("not a duration");
  }
  const std::string unit(p, text.data() + text.size());
  // n < 2^40, so even hours fit in milliseconds (2^40 h is about 2^62 ms).
  if (unit.empty() || unit == "s") return std::chrono::seconds(n);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "m") return std::chrono::minutes(n);
  if (unit == "h") return std::chrono::hours(n);
  throw std::invalid_argument("not a duration");
}

std::uint64_t parse_size(const std::string& text) {
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || n > (1ull << 40)) {
    throw std::invalid_argument("not a size");
  }
  const std::string unit(p, text.data() + text.size());
  if (unit.empty()) return n;
  if (unit == "k" || unit == "K") return n << 10;
  if (unit == "m" || unit == "M") return n << 20;
  if (unit == "g" || unit == "G") return n << 30;
  throw std::invalid_argument("not a size");
}

// --help as CLI11 prints it, minus the "{false}" it appends to negated flag names (which reads
// like a default; the help text states the real one).
class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_option_name(const CLI::Option* opt, bool positional) const override {
    std::string name = CLI::Formatter::make_option_name(opt, positional);
    for (const char* noise : {"{false}", "{true}"}) {
      for (auto at = name.find(noise); at != std::string::npos; at = name.find(noise)) {
        name.erase(at, std::string_view(noise).size());
      }
    }
    return name;
  }
};

bool parse_options(int argc, char** argv, ServerOptions& out) {
  const ServerOptions defaults;
  const auto& table = option_table();
  CLI::App app("zokio-server: an HTTP/1.1 server on the Zokio runtime", "zokio-server");
  app.set_version_flag("--version", "zokio-server " + std::string(kVersion));
  auto formatter = std::make_shared<HelpFormatter>();
  formatter->column_width(40);
  app.formatter(formatter);
  std::string config_file;
  app.add_option("--config", config_file, "TOML config file (every option below is a key)")
      ->type_name("FILE");
  std::vector<std::string> values(table.size());
  std::vector<bool> flags(table.size());
  std::vector<CLI::Option*> handles(table.size());
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto& spec = table[i];
    const std::string flag = flag_of(spec.key);
    if (spec.kind == Kind::kBool) {
      bool v = spec.show(defaults) == "true";
      flags[i] = v;
      handles[i] = app.add_flag_function(
          flag + ",!--no-" + flag.substr(2),
          [&flags, i](std::int64_t count) { flags[i] = count > 0; },
          spec.help + " (default: " + spec.show(defaults) + ")");
    } else {
      handles[i] = app.add_option(flag, values[i], spec.help)
                       ->default_str(spec.show(defaults))
                       ->type_name("");
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    app.exit(e);
    return false;
  } catch (const CLI::CallForVersion& e) {
    app.exit(e);
    return false;
  } catch (const CLI::ArgumentMismatch& e) {
    // CLI11 says "--port: 1 required  missing" for a flag given without its value, and
    // "--port: At Most 1 required but received 2" for one given twice.
    const std::string what = e.what();
    const std::string flag = what.substr(0, what.find(':'));
    throw UsageError(flag + (what.find("missing") != std::string::npos ? ": needs a value"
                                                                       : ": given more than once"));
  } catch (const CLI::ParseError& e) {
    throw UsageError(e.what());
  }
  out = defaults;
  if (!config_file.empty()) {
    out.config = config_file;
    apply_config_file(config_file, out);
    if (out.io != defaults.io) out.io_source = "config";
  }
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (handles[i]->count() == 0) continue;
    table[i].set(out, table[i].kind == Kind::kBool ? (flags[i] ? "true" : "false") : values[i]);
    if (table[i].key == "io") out.io_source = "flag";
  }
  return true;
}

}  // namespace zokio::server
