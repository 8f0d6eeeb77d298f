"""The project's own date formats where they differ from Django's for a language
(FORMAT_MODULE_PATH): the templates name a format (`|date:"DATETIME_FORMAT"`), never a pattern."""
