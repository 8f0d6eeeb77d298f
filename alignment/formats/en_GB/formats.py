# The product's English dates and times, as they were before the pages named formats: "2 Dec
# 2026" and "2 Dec 2026 14:30" (Django's en_GB has "2 Dec 2026, 2:30 p.m.").
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
