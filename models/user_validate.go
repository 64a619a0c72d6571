package models

// FieldErrors reports every field error of in without touching the
// database, so a form that fails on one field (the setup form's password
// confirmation) can show all the others at once too. in is not changed.
func (in NewUser) FieldErrors() FieldErrors {
	c := in
	if c.Role == "" {
		c.Role = RoleAdmin // the setup form has no role: it makes an administrator
	}
	return c.validate()
}
