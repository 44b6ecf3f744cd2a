#include "heed/core/storage.h"

#include "heed/core/allocator.h"

namespace heed {

StorageImpl::StorageImpl(std::size_t nbytes) : data_(allocate(nbytes)), nbytes_(nbytes) {}

StorageImpl::~StorageImpl() { release(data_, nbytes_); }

}  // namespace heed
