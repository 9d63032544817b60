# Warning flags from DESIGN.md, optional -Werror, and the sanitizer build.

set(ATS_WARNING_FLAGS
    -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla)

if(ATS_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                        -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
endif()

if(ATS_SANITIZE_THREAD)
    # ThreadSanitizer: every data race between the window's threads (UI, worker, loader, data
    # export) is reported; the tsan preset fails a test on the first report.
    add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
    add_link_options(-fsanitize=thread)
endif()

if(ATS_FUZZ)
    # every library instrumented for coverage; the fuzz targets link libFuzzer's main
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                        -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
endif()

function(ats_set_warnings target)
    target_compile_options(${target} PRIVATE ${ATS_WARNING_FLAGS})
    if(ATS_WERROR)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
endfunction()
