//! The 1,000-service project that `benches/load.rs` and `examples/profile_load.rs`
//! load: every service `extends` a base in `common.yml`, with `${VAR}` interpolation
//! from `.env`.

use std::fmt::Write as _;
use std::path::Path;

pub const SERVICES: usize = 1_000;

pub fn write_project(directory: &Path) {
    std::fs::write(
        directory.join(".env"),
        "IMAGE=registry.example/app\nTAG=1.2.3\nDATA=/srv/data\nLOG_LEVEL=info\n",
    )
    .expect("writable");
    std::fs::write(
        directory.join("common.yml"),
        "base:\n  image: ${IMAGE}:${TAG}\n  restart: always\n  environment:\n    LOG_LEVEL: ${LOG_LEVEL}\n    REGION: eu\n  labels:\n    com.example.team: core\n  volumes:\n    - ${DATA}/shared:/shared:ro\n  ulimits:\n    nofile: {soft: 1024, hard: 2048}\n  mem_limit: 256m\n",
    )
    .expect("writable");
    let mut text = String::new();
    for index in 0..SERVICES {
        let _ = write!(
            text,
            "service{index}:\n  extends:\n    file: common.yml\n    service: base\n  command: serve --id {index} --level $LOG_LEVEL\n  environment:\n    - INDEX={index}\n    - DATA=${{DATA}}/{index}\n  ports:\n    - \"{port}:80\"\n  volumes:\n    - ./data/{index}:/data\n",
            port = 10_000 + index,
        );
        if index > 0 {
            let _ = write!(text, "  links:\n    - service{}\n", index - 1);
        }
    }
    std::fs::write(directory.join("docker-compose.yml"), text).expect("writable");
}
