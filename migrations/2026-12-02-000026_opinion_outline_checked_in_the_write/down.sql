DROP FUNCTION opinion_as_outlined(boolean, uuid);
