drop table contact_notes;
