ALTER TABLE accounts DROP COLUMN representative_id, DROP COLUMN voter_id;
DROP TABLE committee_policies;
DROP TABLE contact_links;
DROP TABLE voters;
DROP TABLE representatives;
DROP TABLE constituencies;
