// commit_protocol.cpp — picks the protocol a log records (commit_protocol.hpp).
#include "commit_protocol.hpp"

#include "log_file.hpp"

namespace famsync {

std::unique_ptr<CommitProtocol> make_undo_protocol(Backend *backend, const LogFile &lf);
std::unique_ptr<CommitProtocol> make_redo_protocol(Backend *backend, const LogFile &lf);

std::unique_ptr<CommitProtocol> make_commit_protocol(Backend *backend, const LogFile &lf) {
  return lf.protocol() == LogProtocol::undo ? make_undo_protocol(backend, lf)
                                            : make_redo_protocol(backend, lf);
}

}  // namespace famsync
