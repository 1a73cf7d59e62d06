// Random RFC 4122 version-4 UUIDs: archive record ids, sync batch ids, request ids.
#pragma once

#include <string>

namespace edgeocr::common {

// "xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx" from OpenSSL's CSPRNG; throws std::runtime_error
// when it has no randomness.
std::string new_uuid_v4();

}  // namespace edgeocr::common
