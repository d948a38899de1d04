// The libraries below are used by Keel's library targets (FoundationXML for firewalld's zone files,
// FoundationNetworking for HTTP). Importing them here too puts their link dependencies (libxml2, curl
// and Foundation's C shims for them) on the executable's own link line, which a static build of the
// Swift runtime (`swift build --static-swift-stdlib`, scripts/package) needs: without it the linker
// meets FoundationXML's archive before its shim's and leaves the shim's symbols undefined.
#if canImport(FoundationXML)
import FoundationXML
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
