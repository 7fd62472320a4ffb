# Build-directory copy of a liberty file with the cells whose names match PATTERN marked `dont_use : true`
# (Yosys 0.23's abc has no -dont_use option; ABC and dfflibmap honour the attribute). The source stays untouched.
#   cmake -DIN=<liberty> -DOUT=<copy> -DPATTERN=<regex> -P dont_use.cmake
file(READ ${IN} _text)
string(REGEX REPLACE "(\n[ \t]*cell[ \t]*\\(\"?[A-Za-z0-9_]*(${PATTERN})[A-Za-z0-9_]*\"?\\)[ \t]*{)"
       "\\1\n        dont_use : true;" _text "${_text}")
file(WRITE ${OUT}.tmp "${_text}")
file(RENAME ${OUT}.tmp ${OUT})
