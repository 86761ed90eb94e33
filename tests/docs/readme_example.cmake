# Pulls the C example out of README.md (the ```c block after the readme-example marker), so the
# test suite compiles and runs exactly what the README shows.
file(READ ${README} readme)
string(FIND "${readme}" "<!-- readme-example" marker)
if(marker EQUAL -1)
    message(FATAL_ERROR "README.md has no readme-example marker")
endif()
string(SUBSTRING "${readme}" ${marker} -1 rest)
string(FIND "${rest}" "```c\n" open)
math(EXPR open "${open} + 5")
string(SUBSTRING "${rest}" ${open} -1 rest)
string(FIND "${rest}" "```" close)
string(SUBSTRING "${rest}" 0 ${close} example)
file(WRITE ${OUTPUT} "${example}")
