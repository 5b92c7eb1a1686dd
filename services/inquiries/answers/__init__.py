"""Answer templates: reply texts per desk or queue, in English, Japanese and the desk's
local language, with a fixed set of placeholders."""
