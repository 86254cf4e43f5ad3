//! The prompt template parser and renderer (`[prompt] format`), and the sanitizing of its
//! literal text: whatever renders holds no control character that came from the template.
#![no_main]

use awsid_fuzz::sanitize;
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
    let pieces = template::render(&nodes, &|field: template::Field| {
        let name = field.name();
        if name.len() % 2 == 0 {
            String::new()
        } else {
            name.to_string()
        }
    });
    for piece in &pieces {
        assert!(!sanitize::has_control(&piece.text), "{pieces:?}");
    }
});
