# barrage_warnings(target): strict warnings for our own code only.
function(barrage_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wcast-align -Wunused -Woverloaded-virtual -Wnull-dereference
    -Wimplicit-fallthrough)
  if(BARRAGE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
