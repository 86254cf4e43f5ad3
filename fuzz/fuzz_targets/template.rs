//! The prompt template parser and renderer (`[prompt] format`), and the sanitizing of its
//! literal text: whatever renders holds no control character that came from the template.
#![no_main]

use awsid_fuzz::render;
use awsid_fuzz::template;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(format) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut nodes) = template::parse(format) else {
        return;
    };
    template::sanitize(&mut nodes);
    let out = template::render(&nodes, &|field: &str| {
        if field.len() % 2 == 0 {
            String::new()
        } else {
            field.to_string()
        }
    });
    assert!(!render::has_control(&out), "{out:?}");
});
