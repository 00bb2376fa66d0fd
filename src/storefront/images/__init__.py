"""Product pictures: fetched from the ERP in the background, stored by content, served with variants."""
