DROP TABLE phone_codes;
ALTER TABLE voters DROP COLUMN self_registered;
