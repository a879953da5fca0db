//! The layouts of the Linux x86-64 core notes: `NT_PRSTATUS`
//! (`elf_prstatus`), `NT_PRPSINFO` (`elf_prpsinfo`), `NT_SIGINFO`
//! (`siginfo_t`), `NT_FILE` and `NT_AUXV`; encoding and bounded decoding.

pub const NT_PRSTATUS: u32 = 1;
pub const NT_PRPSINFO: u32 = 3;
pub const NT_AUXV: u32 = 6;
pub const NT_SIGINFO: u32 = 0x5349_4749;
pub const NT_FILE: u32 = 0x4649_4c45;
