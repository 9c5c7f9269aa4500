// The live dashboard's HTML page (daemon/dashboard/dashboard.html, compiled in).
#pragma once

#include <string_view>

namespace meridian::daemon {

std::string_view DashboardHtml();

}  // namespace meridian::daemon
