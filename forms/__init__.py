"""Form definitions: fields, validation and templates; comes with the forms issue."""
