// The file formats of DynamoDB's "export to S3" and "import from S3": data files with one
// item per line (DynamoDB JSON or Amazon Ion text), CSV import files, gzip compression, the
// MD5 checksums and the two manifests an export writes. Pure functions over buffers: no I/O,
// no clock, safe from any thread (AppendDynamoDbJsonLine excepted, see there).
//
// Writers render what DynamoDB writes, byte for byte where DynamoDB is deterministic:
//   DYNAMODB_JSON   {"Item":{"n":{"N":"1.5"},"pk":{"S":"a"}}}
//   ION             $ion_1_0 {Item:{n:1.5,pk:"a"}}
// Attributes come out in the model's order (by name); numbers exactly, never via double.
//
// Parsers never throw and never trust their input: every malformed, oversized or too deeply
// nested input is an InvalidArgument (or Corruption for compressed data) with a message, and
// the items they return satisfy the same rules as items decoded from an API request (names
// 1..65535 bytes, sets non-empty without duplicates, numbers within DynamoDB's limits, at most
// 32 levels of nesting, valid UTF-8). As on the request path, the key schema and the 400 KB
// item size are the caller's to check. The line parsers take one line: splitting a file at
// "\n" and skipping blank lines is the caller's (a blank line is an error here).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/attribute_value.h"

namespace meridian::api {

// ---- Export data files (JSON lines) ------------------------------------------------------

// Appends `{"Item":<item in DynamoDB JSON>}` and "\n" to *out, as a DYNAMODB_JSON export
// writes an item. Renders through JsonWriter: REQUIRES no JsonWriter is in use on the calling
// thread (its thread-local buffer is reused).
void AppendDynamoDbJsonLine(const model::Item& item, std::string* out);

// Appends `$ion_1_0 {Item:{...}}` and "\n" to *out, as an ION export writes an item (each
// line starts with the version marker, as DynamoDB's documentation shows). Types:
//   S -> string ("..." with Ion escapes; UTF-8 passes through), N -> decimal (ion-java's
//   text: "5" -> 5., "600" -> 6d2, "1.5" -> 1.5, "-0.0001" -> -1d-4), B -> blob {{base64}},
//   BOOL -> true/false, NULL -> null, M -> struct, L -> list, SS/NS/BS -> lists annotated
//   $dynamodb_SS / $dynamodb_NS / $dynamodb_BS.
// Field names are symbols: bare when they are identifiers ([A-Za-z_$][A-Za-z0-9_$]*, not a
// keyword such as true/null/nan, not a symbol id such as $12), else 'quoted'.
void AppendIonLine(const model::Item& item, std::string* out);

// ---- Import data files --------------------------------------------------------------------

// Parses one line of a DYNAMODB_JSON import file: an object whose only member is "Item", an
// item in DynamoDB JSON. Surrounding whitespace (a trailing "\r") is allowed. The errors are
// those of decoding an API request's Item (with its messages), or invalid JSON.
Result<model::Item> ParseDynamoDbJsonLine(std::string_view line);

// Parses one line of an ION import file: Ion text holding optional `$ion_1_0` version
// markers and one struct whose only field is `Item`, a struct of attributes. Accepts what
// AppendIonLine and DynamoDB write and the rest of Ion text that maps onto DynamoDB types:
// comments; field names as identifiers, 'quoted symbols', "strings" or '''long strings''';
// strings with every Ion escape (\xHH, \uHHHH, \UHHHHHHHH are code points) and adjacent long
// strings concatenated; ints (also 0x.. and 0b.., with _ separators), decimals and floats with
// a finite value -> N, exactly; null and null.null -> NULL; blobs {{ base64 }} -> B; trailing
// commas. Everything else (other typed nulls, nan/inf, timestamps, symbol values, clobs,
// s-expressions, annotations other than the three set annotations, symbol tables) is an
// InvalidArgument naming the offset.
Result<model::Item> ParseIonLine(std::string_view line);

// CSV import options (DynamoDB's ImportTable InputFormatOptions.Csv).
struct CsvOptions {
  // One of , ; : | \t and space (DynamoDB's allowed delimiters).
  char delimiter = ',';
  // Column names. Empty: the first record of the text is the header. Non-empty: every record
  // is data and must have exactly this many fields.
  std::vector<std::string> header;
  // Called with the 1-based line number where a record starts and the error, for a record
  // that cannot become an item (wrong number of fields, a key value not of its type, invalid
  // UTF-8). Returning OK skips the record and goes on; unset or non-OK ends the parse with
  // that status. Framing errors (an unterminated quote, a stray quote) always end it.
  std::function<Status(size_t line, const Status& error)> on_bad_record;
};

// The type of a key attribute of the table or one of its indexes: 'S', 'N' or 'B'; nullopt
// for any other attribute.
using CsvKeyTypes = std::function<std::optional<char>(std::string_view attribute)>;

// Parses a whole CSV import file as DynamoDB does and calls `emit` with each item, in order.
// RFC 4180 records: fields separated by options.delimiter, records by LF or CRLF; a field that
// starts with '"' is quoted and may hold the delimiter, newlines and "" (one quote); a quote
// anywhere else is an error. A leading UTF-8 byte order mark and empty lines are skipped.
// Every value becomes an S attribute, except that a key attribute (key_types) becomes its
// type (N: DynamoDB's number syntax, B: base64); an empty value is left out of the item. The
// header must have distinct, non-empty names. Stops at, and returns, the first non-OK status
// of `emit` (or see CsvOptions::on_bad_record).
Status ParseCsv(std::string_view text, const CsvOptions& options,
                const std::function<Status(model::Item)>& emit, const CsvKeyTypes& key_types);

// ---- Compression and checksums ------------------------------------------------------------

// `data` as one gzip member (zlib's default level).
std::string GzipCompress(std::string_view data);

// The decompressed contents of `data`: one or more concatenated gzip members (as `cat a.gz
// b.gz` makes); empty input decompresses to nothing. Corruption for anything that is not
// whole, valid gzip (bad header or checksum, truncation, junk after a member);
// InvalidArgument when the output would exceed `max_bytes` (memory stays bounded whatever the
// input).
Result<std::string> GzipDecompress(std::string_view data, size_t max_bytes);

// MD5 of `data`, base64 (manifest-files.json "md5Checksum") or lowercase hex (an S3 ETag of
// a single-part upload, the *.checksum files).
std::string Md5Base64(std::string_view data);
std::string Md5Hex(std::string_view data);

// ---- Manifests ----------------------------------------------------------------------------

// One line of manifest-files.json, "\n" included:
// {"itemCount":8,"md5Checksum":"sQMSpEILNgoQmarvDFonGQ==","etag":"af83...-1","dataFileS3Key":"AWSDynamoDB/.../data/x.json.gz"}
std::string ManifestFilesLine(uint64_t item_count, std::string_view md5_base64,
                              std::string_view etag, std::string_view data_file_key);

// The contents of manifest-summary.json. Times are milliseconds since the Unix epoch.
struct ManifestSummary {
  std::string export_arn;
  uint64_t start_time_ms = 0;
  uint64_t end_time_ms = 0;
  std::string table_arn;
  std::string table_id;
  uint64_t export_time_ms = 0;
  std::string s3_bucket;
  std::optional<std::string> s3_prefix;          // null when absent
  std::optional<std::string> s3_sse_algorithm;   // "AES256" or "KMS"; null when absent
  std::optional<std::string> s3_sse_kms_key_id;  // null when absent
  std::string manifest_files_s3_key;
  uint64_t billed_size_bytes = 0;
  uint64_t item_count = 0;
  std::string output_format = "DYNAMODB_JSON";  // or "ION"
  std::string export_type = "FULL_EXPORT";      // or "INCREMENTAL_EXPORT"
};

// manifest-summary.json as one line of JSON (no trailing newline), members in DynamoDB's
// order, starting with "version":"2020-06-30".
std::string ManifestSummaryJson(const ManifestSummary& summary);

// `epoch_ms` as ISO-8601 UTC with milliseconds, e.g. "2020-10-15T21:19:23.611Z" (times after
// 9999-12-31T23:59:59.999Z print as that instant).
std::string IsoTime(uint64_t epoch_ms);

}  // namespace meridian::api
