# Fails when docs/lifecycle.dot no longer matches what `convo diagram` draws from the lifecycle
# table. Regenerate with: cmake --build build --target docs
execute_process(COMMAND ${CONVO} diagram --format dot
                OUTPUT_VARIABLE drawn RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "convo diagram failed (${rc})")
endif()
file(READ ${COMMITTED} committed)
if(NOT drawn STREQUAL committed)
    message(FATAL_ERROR "docs/lifecycle.dot is stale: run `cmake --build build --target docs`")
endif()
